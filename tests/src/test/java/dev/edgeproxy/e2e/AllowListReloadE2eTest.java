package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.AccessLogEntry;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The local allow-list file is re-read when it changes: new connections see the new list within seconds, while a
 * connection already open to a host the change removed keeps working ({@code closeRevokedAfter: never}).
 */
class AllowListReloadE2eTest {

  @RegisterExtension final DumpOnFailure dump = new DumpOnFailure();

  NginxBackend nginx;
  EdgeProxyProcess proxy;

  @BeforeEach
  void start() {
    Tools.require("nginx");
    nginx = dump.watch(NginxBackend.start());
    proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
        .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
        .allow("www.example.test", "old.example.test", "keep1.example.test", "keep2.example.test")));
  }

  @AfterEach
  void stop() {
    try {
      if (proxy != null) {
        proxy.stop();
      }
    } finally {
      if (nginx != null) {
        nginx.close();
      }
    }
  }

  @Test
  void editedFileAppliesToNewConnectionsAndLeavesOpenOnesRunning() throws IOException {
    try (TlsConnection open = TlsConnection.open(TlsConnection.loopback(proxy.tlsPort()), "old.example.test")) {
      assertThat(open.get("/keep").body()).endsWith(" sni=old.example.test\n");
      assertThat(refusedNow("late.example.test")).as("late.example.test before the edit").isTrue();

      // removes 1 of 4 hosts (under maxShrink 50%) and adds one
      proxy.rewriteAllowList(List.of("www.example.test", "keep1.example.test", "keep2.example.test", "late.example.test"),
          List.of());

      await("late.example.test allowed after the edit").atMost(Duration.ofSeconds(15))
          .pollInterval(Duration.ofMillis(200)).ignoreExceptionsInstanceOf(SSLHandshakeException.class)
          .untilAsserted(() -> assertThat(
              TlsConnection.get(TlsConnection.loopback(proxy.tlsPort()), "late.example.test", "/").body())
              .endsWith(" sni=late.example.test\n"));
      assertThat(refusedNow("old.example.test")).as("old.example.test for new connections after the edit").isTrue();

      // the connection opened before the edit still carries requests both ways
      TlsConnection.Reply again = open.get("/keep");
      assertThat(again.status()).isEqualTo(200);
      assertThat(again.body()).isEqualTo("addr=127.0.0.1 port=" + open.localPort() + " sni=old.example.test\n");
      assertThat(proxy.accessLog()).as("no access-log line yet: the connection is still open")
          .noneMatch(e -> e.clientPort() != null && e.clientPort() == open.localPort());
    }
  }

  @Test
  void brokenEditKeepsTheLastGoodList() throws IOException {
    Files.writeString(proxy.allowListFile(), "allow:\n  - [this is: not a host\n");

    // the source reports the error: logged naming the file (the spec also wants it in /status, not there yet) ...
    await("the proxy logs the broken file").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(200))
        .until(() -> proxy.logLines().stream()
            .anyMatch(line -> line.contains(proxy.allowListFile().toString()) && line.matches(".*\\b(WARN|ERROR)\\b.*")));
    // ... and the last good list keeps serving; a later valid edit still applies, so the source kept running
    assertThat(TlsConnection.get(TlsConnection.loopback(proxy.tlsPort()), "www.example.test", "/").status())
        .isEqualTo(200);
    proxy.rewriteAllowList(List.of("www.example.test", "old.example.test", "keep1.example.test",
        "keep2.example.test", "fixed.example.test"), List.of());
    await("fixed.example.test allowed after the repair").atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(200)).ignoreExceptionsInstanceOf(SSLHandshakeException.class)
        .until(() -> TlsConnection.get(TlsConnection.loopback(proxy.tlsPort()), "fixed.example.test", "/").status() == 200);
  }

  private boolean refusedNow(String host) throws IOException {
    TlsConnection.FailedHandshake refused = TlsConnection.failedHandshake(TlsConnection.loopback(proxy.tlsPort()), host);
    AccessLogEntry entry = proxy.awaitAccessLog(refused.localPort());
    return refused.error().getMessage().contains("unrecognized_name") && "refused".equals(entry.decision());
  }
}
