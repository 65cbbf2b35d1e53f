package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.e2e.support.AccessLogEntry;
import dev.edgeproxy.e2e.support.CliClients;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.HaproxyBackend;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.Teardown;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.Tools;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code noSni: <pool>}: a hello without SNI goes to that pool without an allow-list check, and the PROXY header
 * carries no AUTHORITY TLV (HAProxy shows it empty) but still the UNIQUE_ID.
 */
class NoSniPoolE2eTest {

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  static NginxBackend nginx;
  static HaproxyBackend haproxy;
  static EdgeProxyProcess proxy;

  @BeforeAll
  static void start() {
    Tools.require("nginx", "haproxy", "openssl");
    nginx = dump.watch(NginxBackend.start());
    haproxy = dump.watch(HaproxyBackend.start());
    proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
        .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
        .pool("nosni", "127.0.0.1:" + haproxy.tlsPort())
        .defaultBackend("nginx")
        .noSni("nosni")
        .allow("www.example.test")));
  }

  @AfterAll
  static void stop() throws Exception {
    Teardown.stopThenClose(proxy, haproxy, nginx);
  }

  @Test
  void helloWithoutSniGoesToTheNoSniPoolWithoutAuthorityTlv() throws IOException {
    TlsConnection.Reply reply;
    long clientPort;
    try (TlsConnection connection = TlsConnection.open(TlsConnection.loopback(proxy.tlsPort()), null)) {
      clientPort = connection.localPort();
      reply = connection.get("/");
    }

    assertThat(reply.status()).isEqualTo(200);
    AccessLogEntry entry = proxy.awaitAccessLog(clientPort);
    assertThat(reply.body()).isEqualTo("src=127.0.0.1 authority= uid=" + entry.id() + " sni=\n");
    assertThat(entry.decision()).as(entry.line()).isEqualTo("forwarded");
    assertThat(entry.pool()).as(entry.line()).isEqualTo("nosni");
    assertThat(entry.has("host")).as(entry.line()).isFalse();
  }

  @Test
  void opensslWithoutServerNameIsForwardedToo() {
    Exec.Result openssl = CliClients.opensslGet("127.0.0.1", proxy.tlsPort(), null, "/");

    assertThat(openssl.exitCode()).as(openssl.describe()).isZero();
    assertThat(openssl.stdout()).as(openssl.describe()).contains("src=127.0.0.1 authority= uid=");
  }

  @Test
  void hostsWithSniAreStillCheckedAgainstTheAllowList() throws IOException {
    TlsConnection.Reply allowed = TlsConnection.get(TlsConnection.loopback(proxy.tlsPort()), "www.example.test", "/");
    TlsConnection.FailedHandshake refused =
        TlsConnection.failedHandshake(TlsConnection.loopback(proxy.tlsPort()), "other.example.test");

    assertThat(allowed.body()).startsWith("addr=127.0.0.1 ").endsWith(" sni=www.example.test\n");
    assertThat(refused.error().getMessage()).contains("unrecognized_name");
    assertThat(proxy.awaitAccessLog(refused.localPort()).reason()).isEqualTo("not_allowed");
  }
}
