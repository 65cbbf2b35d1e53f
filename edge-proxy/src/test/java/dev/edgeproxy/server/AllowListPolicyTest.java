package dev.edgeproxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.server.cli.Main;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code closeRevokedAfter}, shadow mode and {@code sync --dry-run}, against a real server on
 * loopback. The backend is a plain socket that accepts and holds: a forwarded connection then stays
 * open mid-handshake, which is all these tests need to see who gets closed.
 */
class AllowListPolicyTest {
  @TempDir Path dir;
  private EdgeProxyServer server;
  private ServerSocket backend;
  private final List<Socket> accepted = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws IOException {
    if (server != null) {
      server.close();
    }
    if (backend != null) {
      backend.close();
    }
    for (Socket s : accepted) {
      s.close();
    }
  }

  private Path start(String allowlistExtra) throws Exception {
    backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor =
        new Thread(
            () -> {
              try {
                while (!backend.isClosed()) {
                  accepted.add(backend.accept());
                }
              } catch (IOException closed) {
                // test over
              }
            });
    acceptor.setDaemon(true);
    acceptor.start();
    int tls = Loopback.freePort();
    Files.writeString(dir.resolve("allowlist.yaml"), "allow: [keep.example.com, revoke.example.com]\n");
    Path config = dir.resolve("edge-proxy.yaml");
    Files.writeString(
        config,
        """
        node: {warmUpConnections: 20}
        listeners:
          tls: {bind: "127.0.0.1:%d"}
          admin: {bind: "127.0.0.1:%d"}
        backends:
          hold: {tls: ["127.0.0.1:%d"], proxyProtocol: none, healthCheck: {interval: 1h}}
        defaultBackend: hold
        allowlist:
          stateFile: state.json
          maxShrink: 100%%
          file: {path: allowlist.yaml}
          %s
        accessLog: {format: none}
        """
            .formatted(tls, Loopback.freePort(), backend.getLocalPort(), allowlistExtra));
    server = EdgeProxyServer.start(ConfigLoader.load(config), config);
    // The health checker's first connect check lands on the backend too; let it pass first.
    await().atMost(Duration.ofSeconds(10)).until(() -> !accepted.isEmpty());
    // ...and is over (the checker closed it) before the tests count forwarded connections
    Socket healthCheck = accepted.get(0);
    healthCheck.setSoTimeout(100);
    await().atMost(Duration.ofSeconds(10)).until(() -> Loopback.closedByProxy(healthCheck));
    return config;
  }

  /**
   * Opens a TCP connection and lets a JDK TLS client send its ClientHello over it; returns the
   * plain socket, which the test reads to see whether the proxy closed it.
   */
  private Socket connect(String sni) throws Exception {
    int before = accepted.size();
    Socket plain = new Socket();
    plain.connect(server.listenerAddresses().get(0), 2000);
    plain.setSoTimeout(200);
    SSLSocket tls = Loopback.tlsOver(plain, sni);
    Thread handshake =
        new Thread(
            () -> {
              try {
                tls.startHandshake();
              } catch (IOException expected) {
                // the backend never answers; the test watches the plain socket instead
              }
            });
    handshake.setDaemon(true);
    handshake.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> accepted.size() > before);
    handshake.join(5000);
    return plain;
  }

  @Test
  void revokedHostsConnectionsAreClosedAfterTheDelayOthersStay() throws Exception {
    start("closeRevokedAfter: 1s");
    Socket keep = connect("keep.example.com");
    Socket revoke = connect("revoke.example.com");

    Files.writeString(dir.resolve("allowlist.yaml"), "allow: [keep.example.com]\n");
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> Loopback.closedByProxy(revoke));
    assertThat(Loopback.closedByProxy(keep)).as("a host still allowed keeps its connection").isFalse();
    keep.close();
    revoke.close();
  }

  @Test
  void withoutCloseRevokedAfterOpenConnectionsAreLeftToFinish() throws Exception {
    start("");
    Socket revoke = connect("revoke.example.com");
    Files.writeString(dir.resolve("allowlist.yaml"), "allow: [keep.example.com]\n");
    await().atMost(Duration.ofSeconds(10)).until(() -> !allowedNow("revoke.example.com"));
    // nothing is scheduled to close it: it must stay open well past any delay a policy could use
    await()
        .during(Duration.ofMillis(1500))
        .atMost(Duration.ofSeconds(5))
        .until(() -> !Loopback.closedByProxy(revoke));
    revoke.close();
  }

  private boolean allowedNow(String host) {
    return Main.execute("check", "--config", dir.resolve("edge-proxy.yaml").toString(), host) == 0;
  }

  @Test
  void shadowModeForwardsWhatItWouldRefuse() throws Exception {
    start("enforce: false");
    Socket unknown = connect("unknown.example.com");
    assertThat(Loopback.closedByProxy(unknown)).isFalse();
    unknown.close();
  }

  @Test
  void syncDryRunPrintsTheChangeWithoutApplyingIt() throws Exception {
    Path config = start("");
    Files.writeString(dir.resolve("allowlist.yaml"), "allow: [keep.example.com, new.example.com]\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int status;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      server.close(); // the state file now holds the list from before the edit
      server = null;
      status = Main.execute("sync", "--config", config.toString(), "--dry-run");
    } finally {
      System.setOut(original);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    assertThat(status).as(printed).isZero();
    assertThat(printed).contains("file: ok").contains("+ new.example.com").contains("- revoke.example.com");
    assertThat(Main.execute("check", "--config", config.toString(), "new.example.com"))
        .as("a dry run saves nothing")
        .isEqualTo(3);
  }
}
