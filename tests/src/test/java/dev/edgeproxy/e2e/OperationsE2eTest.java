package dev.edgeproxy.e2e;

import static dev.edgeproxy.e2e.support.ProxyChecks.assertForwarded;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitForwarded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.AccessLogEntry;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.LargeFile;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.Ports;
import dev.edgeproxy.e2e.support.ProxyChecks;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.RawClient;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.Tools;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Running the node unattended (issue 4), against the real jar: drain on SIGTERM, reload on SIGHUP, per-IP limit,
 * failover between pool endpoints, and the metrics monitoring reads.
 */
class OperationsE2eTest {

  private static final int MIB = 1024 * 1024;

  @RegisterExtension final DumpOnFailure dump = new DumpOnFailure();

  static NginxBackend nginx;
  EdgeProxyProcess proxy;

  @BeforeAll
  static void startNginx() {
    Tools.require("nginx", "openssl");
    nginx = NginxBackend.start();
  }

  @AfterAll
  static void stopNginx() {
    if (nginx != null) {
      nginx.close();
    }
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private ProxyConfig base() {
    dump.watch(nginx);
    return new ProxyConfig().pool("nginx", "127.0.0.1:" + nginx.tlsPort())
        .allow("www.example.test", "big.example.test", "r.example.test");
  }

  // ---- (a) SIGTERM and drain

  @Test
  void sigtermDuringALongTransferLetsItFinishAndExitsZero() throws Exception {
    proxy = dump.watch(EdgeProxyProcess.start(base().drainTimeout("20s").leakDetection("simple")));
    LargeFile big = LargeFile.get();
    MessageDigest digest = LargeFile.newDigest();
    AtomicLong signalledAt = new AtomicLong();
    AtomicBoolean listenerClosed = new AtomicBoolean();
    AtomicReference<String> readyzWhileDraining = new AtomicReference<>();
    long bytes;
    long clientPort;
    long start = System.nanoTime();
    try (TlsConnection connection = TlsConnection.open(TlsConnection.loopback(proxy.tlsPort()), "big.example.test")) {
      clientPort = connection.localPort();
      // the client reads at about 20 MiB/s: some 3 s for 64 MiB, most of it after the SIGTERM
      bytes = connection.download("/" + LargeFile.NAME, digest, 64 * 1024, total -> {
        throttle(start, total, 20L * MIB);
        if (signalledAt.get() == 0 && total >= 4L * MIB) {
          proxy.signal("TERM");
          signalledAt.set(System.nanoTime());
        } else if (signalledAt.get() != 0 && readyzWhileDraining.get() == null && total >= 24L * MIB) {
          // the listening socket closes at once on SIGTERM: a new connection is refused by the kernel
          listenerClosed.set(!Ports.listening("127.0.0.1", proxy.tlsPort()));
          // and readiness fails (503, or the admin listener is closed already) so that load balancers move on
          try {
            readyzWhileDraining.set(String.valueOf(proxy.admin("/readyz").getKey()));
          } catch (IOException | InterruptedException e) {
            readyzWhileDraining.set("no answer: " + e);
          }
        }
      });
    }
    long transferDone = System.nanoTime();

    assertThat(bytes).isEqualTo(LargeFile.SIZE);
    assertThat(HexFormat.of().formatHex(digest.digest())).as("sha256 of what arrived").isEqualTo(big.sha256());
    assertThat(listenerClosed).as("TLS port closed while the transfer drained").isTrue();
    assertThat(readyzWhileDraining.get()).as("GET /readyz while draining").isNotNull().isNotEqualTo("200");
    int exit = awaitExit(Duration.ofSeconds(20 + 10));
    long exitedAfterMillis = (System.nanoTime() - signalledAt.get()) / 1_000_000;
    assertThat(exit).as("exit status").isZero();
    System.out.printf("drain: transfer done %d ms after SIGTERM, process gone %d ms after SIGTERM, /readyz while"
        + " draining: %s%n", (transferDone - signalledAt.get()) / 1_000_000, exitedAfterMillis,
        readyzWhileDraining.get());
    AccessLogEntry entry = proxy.accessLog().stream()
        .filter(e -> e.clientPort() != null && e.clientPort() == clientPort).findFirst().orElse(null);
    assertThat(entry).as("access-log line of the drained transfer, flushed before exit").isNotNull();
    assertThat(entry.decision()).as(entry.line()).isEqualTo("forwarded");
    assertThat(entry.bytesOut()).as(entry.line()).isGreaterThan(LargeFile.SIZE);
    assertNoLeaks();
  }

  @Test
  void aTransferStillRunningAtDrainTimeoutIsCutAndTheProcessStillExitsZero() throws Exception {
    proxy = dump.watch(EdgeProxyProcess.start(base().drainTimeout("2s").leakDetection("simple")));
    MessageDigest digest = LargeFile.newDigest();
    AtomicLong signalledAt = new AtomicLong();
    AtomicLong exitedAt = new AtomicLong();
    long[] clientPort = new long[1];
    long start = System.nanoTime();
    Throwable cut;
    try (TlsConnection connection = TlsConnection.open(TlsConnection.loopback(proxy.tlsPort()), "big.example.test")) {
      clientPort[0] = connection.localPort();
      cut = catchThrowable(() -> connection.download("/" + LargeFile.NAME, digest, 64 * 1024, total -> {
        if (signalledAt.get() == 0 && total >= MIB) {
          proxy.signal("TERM");
          signalledAt.set(System.nanoTime());
        }
        if (exitedAt.get() == 0) {
          // 2 MiB/s (64 MiB would take half a minute) until the process is gone; then read what is left at once
          throttle(start, total, 2L * MIB);
          if (proxy.exitValueIfDone() != null) {
            exitedAt.set(System.nanoTime());
          } else if (signalledAt.get() != 0 && System.nanoTime() - signalledAt.get() > TimeUnit.SECONDS.toNanos(30)) {
            throw new IOException("the proxy is still running 30 s after SIGTERM with drainTimeout 2s");
          }
        }
      }));
    }

    assertThat(cut).as("the download is cut before its end").isInstanceOf(IOException.class);
    int exit = awaitExit(Duration.ofSeconds(15));
    assertThat(exit).as("exit status after the drain timeout").isZero();
    long exitMillis = ((exitedAt.get() != 0 ? exitedAt.get() : System.nanoTime()) - signalledAt.get()) / 1_000_000;
    System.out.printf("drain timeout 2s: the process was gone %d ms after SIGTERM; the client saw: %s%n", exitMillis,
        cut);
    assertThat(exitMillis).as("ms from SIGTERM to exit with drainTimeout 2s").isLessThan(2_000 + 8_000);
    assertThat(proxy.logLines()).as("the cut is logged")
        .anyMatch(line -> line.toLowerCase().contains("drain timeout"));
    AccessLogEntry entry = proxy.accessLog().stream()
        .filter(e -> e.clientPort() != null && e.clientPort() == clientPort[0]).findFirst().orElse(null);
    assertThat(entry).as("access-log line of the cut connection, flushed before exit").isNotNull();
    assertThat(entry.bytesOut()).as(entry.line()).isLessThan(LargeFile.SIZE);
    assertNoLeaks();
  }

  // ---- (b) SIGHUP reload

  @Test
  void sighupWithABrokenConfigKeepsTheOldOneAndAValidChangeIsApplied() throws Exception {
    ProxyConfig config = base();
    proxy = dump.watch(EdgeProxyProcess.start(config));
    assertThat(TlsConnection.get(TlsConnection.loopback(proxy.tlsPort()), "r.example.test", "/").body())
        .as("before any reload: r.example.test goes to the default pool (nginx behind PROXY v2)")
        .startsWith("addr=127.0.0.1 ");

    // broken: a default backend that does not exist
    String good = Files.readString(proxy.configFile());
    proxy.writeConfigText(good.replace("defaultBackend: nginx", "defaultBackend: nosuchpool"));
    proxy.signal("HUP");
    await("the refused reload is logged").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
        .until(() -> proxy.logLines().stream().anyMatch(line -> line.contains("nosuchpool")));
    assertThat(proxy.alive()).isTrue();
    assertForwarded(proxy, "www.example.test");
    assertThat(TlsConnection.get(TlsConnection.loopback(proxy.tlsPort()), "r.example.test", "/").body())
        .startsWith("addr=127.0.0.1 ");
    assertThat(proxy.admin("/readyz").getKey()).isEqualTo(200);

    // valid: a new pool without PROXY protocol, a route to it, and one more bind address
    try (TlsConnection open = TlsConnection.open(TlsConnection.loopback(proxy.tlsPort()), "r.example.test")) {
      assertThat(open.get("/keep").body()).startsWith("addr=127.0.0.1 ");
      int extraPort = Ports.free();
      config.pool(new ProxyConfig.Pool("direct", List.of("127.0.0.1:" + nginx.directTlsPort()), "none", List.of()))
          .route("direct", "r.example.test")
          .extraTlsBind("127.0.0.1:" + extraPort);
      proxy.rewriteConfig();
      proxy.signal("HUP");

      await("r.example.test routed to the new pool").atMost(Duration.ofSeconds(15))
          .pollInterval(Duration.ofMillis(250)).ignoreExceptionsInstanceOf(IOException.class)
          .until(() -> TlsConnection.get(TlsConnection.loopback(proxy.tlsPort()), "r.example.test", "/").body()
              .startsWith("direct addr=127.0.0.1 "));
      await("the added bind address forwards").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250))
          .ignoreExceptionsInstanceOf(IOException.class)
          .until(() -> TlsConnection.get(TlsConnection.loopback(extraPort), "www.example.test", "/").body()
              .endsWith(" sni=www.example.test\n"));
      // the connection opened before the reload keeps its old backend
      TlsConnection.Reply again = open.get("/keep");
      assertThat(again.body()).as("open connection after the reload")
          .isEqualTo("addr=127.0.0.1 port=" + open.localPort() + " sni=r.example.test\n");
    }
  }

  // ---- (c) per-IP limit

  @Test
  void theFourthConnectionFromOneAddressIsRefusedWithMaxConnectionsPerIp3() throws Exception {
    proxy = dump.watch(EdgeProxyProcess.start(base().maxConnectionsPerIp(3)));
    List<TlsConnection> open = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        TlsConnection connection = TlsConnection.open(TlsConnection.loopback(proxy.tlsPort()), "www.example.test");
        open.add(connection);
        assertThat(connection.get("/keep").status()).isEqualTo(200);
      }
      RawClient.Outcome fourth = RawClient.sendAndAwaitClose(TlsConnection.loopback(proxy.tlsPort()), new byte[0],
          5_000);
      assertThat(fourth.closedByPeer()).as("4th connection: %s", fourth.how()).isTrue();
      AccessLogEntry entry = proxy.awaitAccessLog(fourth.localPort());
      assertThat(entry.decision()).as(entry.line()).isEqualTo("refused");
      assertThat(entry.reason()).as(entry.line()).isEqualTo("limit");
      for (TlsConnection connection : open) {
        assertThat(connection.get("/keep").status()).as("the three open ones still work").isEqualTo(200);
      }

      open.remove(0).close();
      awaitForwarded(proxy, "www.example.test", Duration.ofSeconds(10));
    } finally {
      for (TlsConnection connection : open) {
        connection.close();
      }
    }
  }

  // ---- (d) failover, then (e) metrics after that traffic

  @Test
  void failoverPastAClosedPortAndWhatAStalledEndpointDoesThenMetrics() throws Exception {
    int closedPort = Ports.free();
    try (StalledEndpoint stalled = new StalledEndpoint()) {
      ProxyConfig config = base()
          .pool(new ProxyConfig.Pool("failover", List.of("127.0.0.1:" + closedPort, "127.0.0.1:" + nginx.tlsPort()),
              "v2", null))
          .pool(new ProxyConfig.Pool("stall", List.of("127.0.0.1:" + stalled.port(), "127.0.0.1:" + nginx.tlsPort()),
              "v2", null))
          .route("failover", "fail.example.test")
          .route("stall", "stall.example.test")
          .allow("www.example.test", "fail.example.test", "stall.example.test")
          .connectTimeout("1s");
      proxy = dump.watch(EdgeProxyProcess.start(config));

      // a refused connect to the first endpoint: the next one serves, every time
      for (int i = 0; i < 4; i++) {
        TlsConnection.Reply reply;
        int port;
        try (TlsConnection c = TlsConnection.open(TlsConnection.loopback(proxy.tlsPort()), "fail.example.test")) {
          port = c.localPort();
          reply = c.get("/");
        }
        assertThat(reply.body()).isEqualTo("addr=127.0.0.1 port=" + port + " sni=fail.example.test\n");
        AccessLogEntry entry = proxy.awaitAccessLog(port);
        assertThat(entry.endpoint()).as(entry.line()).isEqualTo("127.0.0.1:" + nginx.tlsPort());
      }

      // an endpoint that accepts TCP but never answers: the proxy cannot tell (TCP health checks pass), so a
      // connection sent there stalls in the TLS handshake until the client gives up; the others reach nginx
      List<String> outcomes = new ArrayList<>();
      int succeeded = 0;
      for (int i = 0; i < 4; i++) {
        try (TlsConnection c = TlsConnection.open(TlsConnection.loopback(proxy.tlsPort()), "stall.example.test",
            3_000)) {
          assertThat(c.get("/").body()).endsWith(" sni=stall.example.test\n");
          outcomes.add("ok");
          succeeded++;
        } catch (SocketTimeoutException e) {
          outcomes.add("client timeout");
        }
      }
      System.out.println("connections to pool [stalled endpoint, nginx]: " + outcomes
          + "; the stalled endpoint accepted " + stalled.accepted() + " TCP connections");
      assertThat(succeeded).as("round-robin gives nginx its share: %s", outcomes).isGreaterThanOrEqualTo(1);
      assertThat(outcomes).as("a stalled endpoint costs the client a timeout, never a wrong answer")
          .allMatch(o -> o.equals("ok") || o.equals("client timeout"));
      var pools = ProxyChecks.status(proxy).path("pools");
      System.out.println("/status pools: " + pools);

      // (e) the spec's metric names after that traffic, and a refusal
      ProxyChecks.assertRefused(proxy, "not-allowed.example.test");
      String metrics = ProxyChecks.metrics(proxy);
      List<String> missing = new ArrayList<>();
      for (String name : List.of("edge_connections_total", "edge_connections_active", "edge_bytes_total",
          "edge_clienthello_seconds_bucket", "edge_backend_connect_seconds", "edge_backend_endpoint_up",
          "edge_allowlist_hosts", "edge_allowlist_sync_total", "edge_allowlist_last_success_timestamp_seconds")) {
        if (!metrics.lines().anyMatch(line -> line.startsWith(name + "{") || line.startsWith(name + " ")
            || line.startsWith(name + "_"))) {
          missing.add(name);
        }
      }
      assertThat(missing).as("spec metric names missing from /metrics").isEmpty();
      assertThat(metrics).as("a forwarded connection is counted")
          .containsPattern("(?m)^edge_connections_total\\{[^}]*outcome=\"forwarded\"[^}]*\\} [1-9]");
      assertThat(metrics).as("the refusal is counted with its reason")
          .containsPattern("(?m)^edge_connections_total\\{[^}]*reason=\"not_allowed\"[^}]*\\} [1-9]");
      assertThat(metrics).as("the closed port is down")
          .containsPattern("(?m)^edge_backend_endpoint_up\\{[^}]*endpoint=\"127\\.0\\.0\\.1:" + closedPort
              + "\"[^}]*\\} 0");
    }
  }

  @Test
  void adminEndpointAnswersSeveralRequestsOnOneKeepAliveConnection() throws Exception {
    proxy = dump.watch(EdgeProxyProcess.start(base()));
    // Prometheus, load balancers and curl keep the connection open between requests
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<String> answers = new ArrayList<>();
    for (String path : List.of("/readyz", "/status", "/metrics", "/metrics", "/healthz", "/allowlist")) {
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + proxy.adminPort() + path)).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      answers.add(path + " " + response.statusCode());
    }
    assertThat(answers).containsExactly("/readyz 200", "/status 200", "/metrics 200", "/metrics 200",
        "/healthz 200", "/allowlist 200");
  }

  // ---- helpers

  /** Sleeps so that {@code total} bytes since {@code startNanos} come at most at {@code bytesPerSecond}. */
  private static void throttle(long startNanos, long total, long bytesPerSecond) throws IOException {
    long dueNanos = startNanos + total * 1_000_000_000L / bytesPerSecond;
    long wait = dueNanos - System.nanoTime();
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }
  }

  private int awaitExit(Duration atMost) {
    Integer exit = await("edge-proxy exits").atMost(atMost).pollInterval(Duration.ofMillis(100))
        .until(proxy::exitValueIfDone, v -> v != null);
    proxy.terminate(Duration.ofSeconds(1)); // marks it stopped; it is gone already
    return exit;
  }

  private void assertNoLeaks() {
    assertThat(proxy.logLines()).as("Netty leak reports").noneMatch(line -> line.contains("LEAK:"));
  }

  /** Accepts TCP connections and never reads or writes on them: a backend that hangs after accept. */
  private static final class StalledEndpoint implements AutoCloseable {
    private final ServerSocket server;
    private final List<Socket> held = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    StalledEndpoint() throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      acceptor = new Thread(() -> {
        while (!server.isClosed()) {
          try {
            held.add(server.accept());
          } catch (IOException e) {
            return;
          }
        }
      }, "stalled-endpoint");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    int accepted() {
      return held.size();
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket socket : held) {
        socket.close();
      }
    }
  }
}
