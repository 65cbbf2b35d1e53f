package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.AccessLogEntry;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.PacedIo;
import dev.edgeproxy.e2e.support.ProcessFigures;
import dev.edgeproxy.e2e.support.ProxyChecks;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.StubBackend;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Backends that fail while the real jar relays to them, each met by {@value #ROUNDS} clients in a row (3 for the
 * hanging one, whose clients each wait for the idle timeout). The outcome
 * each client gets, and the bound asserted:
 *
 * <ul>
 *   <li><b>black hole</b> (a listener whose accept queue is full: the SYN is dropped) beside a good endpoint: a
 *       client sent to it waits for {@code connectTimeout} (1 s) and is served by the next endpoint, within
 *       connectTimeout + {@value #PROMPT_MILLIS} ms; after {@code unhealthyAfter} (3) failed connects the endpoint is
 *       out of rotation ({@code /status} healthy false) and clients are served at once.
 *   <li><b>refused</b> (a closed port) beside a good endpoint: served by the next endpoint within {@value
 *       #PROMPT_MILLIS} ms, the endpoint marked unhealthy the same way. A pool whose only endpoint went away after
 *       start: each client is closed within {@value #PROMPT_MILLIS} ms with reason {@code no_backend}, and {@code
 *       /readyz} names the pool once the endpoint is out.
 *   <li><b>reset mid-stream</b> (SO_LINGER 0 after 256 KiB): the client has the bytes sent before the reset and is
 *       closed within {@value #PROMPT_MILLIS} ms of them; the access log says forwarded with the bytes relayed.
 *   <li><b>hang after accept</b> (never reads nor answers; a TCP health check still passes): the client is closed at
 *       {@code idleTimeout} (3 s, at most 1.25 times that plus {@value #PROMPT_MILLIS} ms) with reason
 *       {@code idle_timeout}.
 * </ul>
 * Health checks run every 30 s here, so that what the clients meet, not the checker, takes the endpoints out.
 * Afterwards no connection is open, no slot is held and open descriptors are back within {@value #FD_SLACK} of the
 * start; heap after a full GC within {@value #HEAP_SLACK_MIB} MiB.
 */
class BackendFaultsE2eTest {

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  static final int ROUNDS = 10;
  static final long PROMPT_MILLIS = 1_000;
  static final long FD_SLACK = 8;
  static final long HEAP_SLACK_MIB = 16;
  static final long RESET_AFTER = 256 * 1024;

  @Test
  void failingBackendsGetEachClientAPromptDefinedOutcome(TestReporter reporter) throws Exception {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = probe.getLocalPort(); // closed once this block ends: connects are refused
    }
    try (StubBackend good = dump.watch(StubBackend.pouring(64 * 1024, 0));
        StubBackend reset = dump.watch(StubBackend.resettingAfter(RESET_AFTER));
        StubBackend hang = dump.watch(StubBackend.hanging());
        StubBackend goneAfterStart = dump.watch(StubBackend.pouring(0, 0));
        BlackHole blackHole = new BlackHole()) {
      EdgeProxyProcess proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
          .pool(new ProxyConfig.Pool("refused", List.of("127.0.0.1:" + closedPort, "127.0.0.1:" + good.port()), "none", null))
          .pool(new ProxyConfig.Pool("blackhole", List.of(blackHole.address(), "127.0.0.1:" + good.port()), "none", null))
          .pool(new ProxyConfig.Pool("dead", List.of("127.0.0.1:" + goneAfterStart.port()), "none", null))
          .pool(new ProxyConfig.Pool("reset", List.of("127.0.0.1:" + reset.port()), "none", null))
          .pool(new ProxyConfig.Pool("hang", List.of("127.0.0.1:" + hang.port()), "none", null))
          .route("blackhole", "blackhole.example.test").route("dead", "dead.example.test")
          .route("reset", "reset.example.test").route("hang", "hang.example.test")
          .defaultBackend("refused")
          .allow("refused.example.test", "blackhole.example.test", "dead.example.test", "reset.example.test",
              "hang.example.test")
          .connectTimeout("1s")
          .healthCheckInterval("30s")
          .idleTimeout("3s")));
      try {
        goneAfterStart.close(); // the dead pool's only endpoint: connects are refused from now on
        ProcessFigures before = ProcessFigures.sample(proxy, true);
        List<String> figures = new ArrayList<>();
        List<Long> blackHoleMillis = new ArrayList<>();
        figures.add(rounds(proxy, "blackhole.example.test", "black-holed endpoint, next serves", o -> {
          assertThat(o.received()).as("served by the next endpoint").isEqualTo(64 * 1024);
          assertThat(o.millis()).isLessThan(1_000 + PROMPT_MILLIS);
          blackHoleMillis.add(o.millis());
        }));
        assertThat(blackHoleMillis).as("clients that waited for the connect timeout")
            .anyMatch(ms -> ms >= 1_000);
        figures.add("  per client (ms): " + blackHoleMillis);
        figures.add(rounds(proxy, "refused.example.test", "refusing endpoint, next serves", o -> {
          assertThat(o.received()).as("served by the next endpoint").isEqualTo(64 * 1024);
          assertThat(o.millis()).isLessThan(PROMPT_MILLIS);
        }));
        figures.add(rounds(proxy, "dead.example.test", "only endpoint refuses", o -> {
          assertThat(o.received()).isZero();
          assertThat(o.millis()).isLessThan(PROMPT_MILLIS);
          assertThat(o.entry().reason()).isEqualTo("no_backend");
        }));
        figures.add(rounds(proxy, "reset.example.test", "reset mid-stream", o -> {
          assertThat(o.received()).isLessThanOrEqualTo(RESET_AFTER);
          assertThat(o.millisAfterLastByte()).isLessThan(PROMPT_MILLIS);
          assertThat(o.entry().decision()).isEqualTo("forwarded");
        }));
        figures.add(rounds(proxy, "hang.example.test", "hangs after accept", 3, o -> {
          assertThat(o.received()).isZero();
          // The client's clock starts once its connect returns, the proxy's idle clock at accept (a few
          // ms earlier under load: 2,992 ms was seen once), hence the 100 ms below 3 s.
          assertThat(o.millis()).isBetween(2_900L, 3_750L + PROMPT_MILLIS);
          assertThat(o.entry().reason()).isEqualTo("idle_timeout");
        }));

        await("the refusing endpoint marked unhealthy").atMost(Duration.ofSeconds(10))
            .until(() -> !ProxyChecks.firstEndpoint(proxy, "refused").path("healthy").asBoolean(true));
        assertThat(ProxyChecks.firstEndpoint(proxy, "blackhole").path("healthy").asBoolean(true))
            .as("the black hole out of rotation").isFalse();
        Map.Entry<Integer, String> ready = proxy.admin("/readyz");
        await("no connection open").atMost(Duration.ofSeconds(10))
            .until(() -> SlowTransferE2eTest.activeConnections(proxy) == 0);
        ProcessFigures after = ProcessFigures.sample(proxy, true);
        String report = "backend faults:\n  " + String.join("\n  ", figures)
            + "\n  /status pools: " + ProxyChecks.status(proxy).path("pools")
            + "\n  /readyz " + ready.getKey() + " " + ready.getValue().replace('\n', ' ')
            + "\n  before: " + before + "\n  after:  " + after;
        System.out.println(report);
        reporter.publishEntry("backend faults", report);

        assertThat(ready.getValue()).as("/readyz names the dead pool").contains("pool dead has no healthy endpoint");
        assertThat(ProxyChecks.firstEndpoint(proxy, "hang").path("active").asInt()).as("slots held").isZero();
        assertThat(after.openFds() - before.openFds()).as("descriptor growth").isLessThanOrEqualTo(FD_SLACK);
        assertThat(after.heap() - before.heap()).as("heap growth").isLessThan(HEAP_SLACK_MIB << 20);
        assertThat(proxy.alive()).isTrue();
      } finally {
        proxy.stop();
      }
    }
  }

  /** What one client saw: bytes, time to the close, time from its last byte to the close, and its access log. */
  record Outcome(long received, long millis, long millisAfterLastByte, AccessLogEntry entry) {}

  interface Check {
    void accept(Outcome outcome) throws Exception;
  }

  /** {@value #ROUNDS} clients one after the other, each checked; returns the figures. */
  static String rounds(EdgeProxyProcess proxy, String host, String what, Check check) throws Exception {
    return rounds(proxy, host, what, ROUNDS, check);
  }

  static String rounds(EdgeProxyProcess proxy, String host, String what, int rounds, Check check) throws Exception {
    long slowest = 0;
    long total = 0;
    String reasons = "";
    for (int i = 0; i < rounds; i++) {
      Outcome outcome = client(proxy, host, host.startsWith("refused") || host.startsWith("black") ? 64 * 1024 : Long.MAX_VALUE);
      check.accept(outcome);
      slowest = Math.max(slowest, outcome.millis());
      total += outcome.received();
      reasons = outcome.entry().decision() + "/" + outcome.entry().reason();
    }
    return what + " (" + host + "), " + rounds + " clients: slowest close " + slowest + " ms, " + total / rounds
        + " bytes each, access log "
        + reasons;
  }

  /** Reads until the proxy closes, or until {@code served} bytes when a good backend answers (it keeps the line). */
  static Outcome client(EdgeProxyProcess proxy, String host, long served) throws Exception {
    try (Socket socket = SlowTransferE2eTest.open(proxy, host)) {
      long start = System.nanoTime();
      long lastByte = start;
      long received = 0;
      byte[] buffer = new byte[PacedIo.CHUNK_BYTES];
      try {
        for (int n; received < served && (n = socket.getInputStream().read(buffer)) >= 0; ) {
          received += n;
          lastByte = System.nanoTime();
        }
      } catch (IOException e) {
        // a reset passed on: the close is what is measured
      }
      long end = System.nanoTime();
      socket.close();
      return new Outcome(received, TimeUnit.NANOSECONDS.toMillis(end - start),
          TimeUnit.NANOSECONDS.toMillis(end - lastByte), proxy.awaitAccessLog(socket.getLocalPort()));
    }
  }

  /** A listener that never accepts, its accept queue filled: further SYNs are dropped, connects time out. */
  static final class BlackHole implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    private final List<Socket> fillers = new ArrayList<>();

    BlackHole() throws IOException {
      for (int i = 0; i < 2; i++) { // Linux queues backlog + 1
        Socket s = new Socket();
        s.connect(server.getLocalSocketAddress(), 1_000);
        fillers.add(s);
      }
      Socket overflow = new Socket();
      try {
        overflow.connect(server.getLocalSocketAddress(), 500);
        fillers.add(overflow);
        throw new IllegalStateException("the accept queue takes more than backlog + 1: no black hole here");
      } catch (java.net.SocketTimeoutException expected) {
        overflow.close();
      }
    }

    String address() {
      return "127.0.0.1:" + server.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      for (Socket s : fillers) {
        s.close();
      }
      server.close();
    }
  }
}
