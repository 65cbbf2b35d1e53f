package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.e2e.support.AccessLogEntry;
import dev.edgeproxy.e2e.support.CliClients;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.RawClient;
import dev.edgeproxy.e2e.support.Teardown;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Refusals: by name (TLS alert unrecognized_name, nothing forwarded), malformed TLS hellos (alert decode_error),
 * and non-TLS, stalled or oversized hellos (closed without an answer).
 * Each test uses host names of its own, so the access-log line it looks for is unambiguous.
 */
class RefusalE2eTest {

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  static NginxBackend nginx;
  static EdgeProxyProcess proxy;

  @BeforeAll
  static void start() {
    Tools.require("nginx", "openssl");
    nginx = dump.watch(NginxBackend.start());
    proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
        .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
        .allow("www.example.test", "*.apps.example.test", "blocked.example.test")
        .deny("blocked.example.test", "secret.apps.example.test")
        .noSni("refuse")
        .clientHelloTimeout("1s")));
  }

  @AfterAll
  static void stop() throws Exception {
    Teardown.stopThenClose(proxy, nginx);
  }

  @Test
  void hostNotInTheAllowListGetsUnrecognizedNameFromJdkClient() throws IOException {
    TlsConnection.FailedHandshake refused =
        TlsConnection.failedHandshake(TlsConnection.loopback(proxy.tlsPort()), "stranger.example.test");

    assertUnrecognizedName(refused);
    assertRefused(proxy.awaitAccessLog(refused.localPort()), "stranger.example.test", "not_allowed");
    assertNeverReachedNginx("stranger.example.test");
  }

  @Test
  void hostNotInTheAllowListGetsAlert112InOpensslSClient() {
    Exec.Result openssl = CliClients.opensslGet("127.0.0.1", proxy.tlsPort(), "unknown.example.test", "/");

    assertThat(openssl.exitCode()).as(openssl.describe()).isNotZero();
    assertThat(openssl.stdout() + openssl.stderr()).as(openssl.describe())
        .contains("unrecognized name").contains("SSL alert number 112");
    assertRefused(awaitHost("unknown.example.test"), "unknown.example.test", "not_allowed");
    assertNeverReachedNginx("unknown.example.test");
  }

  @Test
  void wildcardCoversExactlyOneLabel() throws IOException {
    TlsConnection.Reply oneLabel = TlsConnection.get(TlsConnection.loopback(proxy.tlsPort()), "a.apps.example.test", "/");
    TlsConnection.FailedHandshake twoLabels =
        TlsConnection.failedHandshake(TlsConnection.loopback(proxy.tlsPort()), "a.b.apps.example.test");
    TlsConnection.FailedHandshake zone =
        TlsConnection.failedHandshake(TlsConnection.loopback(proxy.tlsPort()), "apps.example.test");

    assertThat(oneLabel.status()).isEqualTo(200);
    assertThat(oneLabel.body()).startsWith("addr=127.0.0.1 ").endsWith(" sni=a.apps.example.test\n");
    assertUnrecognizedName(twoLabels);
    assertUnrecognizedName(zone);
    assertThat(awaitHost("a.apps.example.test").decision()).isEqualTo("forwarded");
    assertRefused(proxy.awaitAccessLog(twoLabels.localPort()), "a.b.apps.example.test", "not_allowed");
    assertRefused(proxy.awaitAccessLog(zone.localPort()), "apps.example.test", "not_allowed");
  }

  @Test
  void denyWinsOverAllowAndOverAWildcard() throws IOException {
    TlsConnection.FailedHandshake exact =
        TlsConnection.failedHandshake(TlsConnection.loopback(proxy.tlsPort()), "blocked.example.test");
    TlsConnection.FailedHandshake underWildcard =
        TlsConnection.failedHandshake(TlsConnection.loopback(proxy.tlsPort()), "secret.apps.example.test");

    assertUnrecognizedName(exact);
    assertUnrecognizedName(underWildcard);
    assertRefused(proxy.awaitAccessLog(exact.localPort()), "blocked.example.test", "denied");
    assertRefused(proxy.awaitAccessLog(underWildcard.localPort()), "secret.apps.example.test", "denied");
    assertNeverReachedNginx("blocked.example.test");
    assertNeverReachedNginx("secret.apps.example.test");
  }

  @Test
  void helloWithoutSniIsRefusedByName() throws IOException {
    TlsConnection.FailedHandshake jdk = TlsConnection.failedHandshake(TlsConnection.loopback(proxy.tlsPort()), null);
    Exec.Result openssl = CliClients.opensslGet("127.0.0.1", proxy.tlsPort(), null, "/");

    assertUnrecognizedName(jdk);
    AccessLogEntry entry = proxy.awaitAccessLog(jdk.localPort());
    assertThat(entry.decision()).as(entry.line()).isEqualTo("refused");
    assertThat(entry.reason()).as(entry.line()).isEqualTo("no_sni");
    assertThat(entry.has("host")).as("no host key without SNI: %s", entry.line()).isFalse();
    assertThat(openssl.exitCode()).as(openssl.describe()).isNotZero();
    assertThat(openssl.stdout() + openssl.stderr()).as(openssl.describe()).contains("SSL alert number 112");
  }

  @Test
  void sniThatIsNotAHostNameIsRefusedByName() {
    Exec.Result openssl = CliClients.opensslGet("127.0.0.1", proxy.tlsPort(), "bad_name!.example.test", "/");

    assertThat(openssl.exitCode()).as(openssl.describe()).isNotZero();
    assertThat(openssl.stdout() + openssl.stderr()).as(openssl.describe()).contains("SSL alert number 112");
    AccessLogEntry entry = proxy.awaitAccessLog("reason=invalid_host",
        e -> "invalid_host".equals(e.reason()));
    assertThat(entry.decision()).as(entry.line()).isEqualTo("refused");
  }

  @Test
  void plainHttpOnTheTlsPortIsClosedWithoutAnAnswer() throws IOException {
    byte[] request = "GET / HTTP/1.1\r\nHost: www.example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    RawClient.Outcome outcome = RawClient.sendAndAwaitClose(TlsConnection.loopback(proxy.tlsPort()), request, 10_000);

    assertThat(outcome.closedByPeer()).as(outcome.how()).isTrue();
    assertThat(outcome.received()).as("no alert, no HTTP answer").isEmpty();
    AccessLogEntry entry = proxy.awaitAccessLog(outcome.localPort());
    assertThat(entry.decision()).as(entry.line()).isEqualTo("refused");
    assertThat(entry.reason()).as(entry.line()).isEqualTo("not_tls");
  }

  @Test
  void stalledHelloIsClosedAfterClientHelloTimeout() throws IOException {
    byte[] partialRecordHeader = {0x16, 0x03, 0x01};

    RawClient.Outcome outcome =
        RawClient.sendAndAwaitClose(TlsConnection.loopback(proxy.tlsPort()), partialRecordHeader, 15_000);

    assertThat(outcome.closedByPeer()).as(outcome.how()).isTrue();
    // clientHelloTimeout is 1s: not closed early (that would be a different refusal) and not left hanging
    assertThat(outcome.millisToClose()).as(outcome.how()).isBetween(800L, 10_000L);
    assertThat(outcome.received()).as("timed-out hellos are closed without an alert").isEmpty();
    AccessLogEntry entry = proxy.awaitAccessLog(outcome.localPort());
    assertThat(entry.decision()).as(entry.line()).isEqualTo("refused");
    assertThat(entry.reason()).as(entry.line()).isEqualTo("timeout");
  }

  @Test
  void oversizedHelloIsClosed() throws IOException {
    // a handshake record announcing a 64 KiB ClientHello, then 20 000 bytes of it: over maxClientHelloBytes (16384)
    byte[] bytes = new byte[5 + 4 + 20_000];
    bytes[0] = 0x16;
    bytes[1] = 0x03;
    bytes[2] = 0x01;
    bytes[3] = 0x40; // record length 16384 (the TLS maximum)
    bytes[4] = 0x00;
    bytes[5] = 0x01; // client_hello
    bytes[6] = 0x01; // length 0x010000
    bytes[7] = 0x00;
    bytes[8] = 0x00;

    RawClient.Outcome outcome = RawClient.sendAndAwaitClose(TlsConnection.loopback(proxy.tlsPort()), bytes, 10_000);

    assertThat(outcome.closedByPeer()).as(outcome.how()).isTrue();
    AccessLogEntry entry = proxy.awaitAccessLog(outcome.localPort());
    assertThat(entry.decision()).as(entry.line()).isEqualTo("refused");
    assertThat(entry.reason()).as(entry.line()).isEqualTo("too_large");
  }

  @Test
  void malformedHelloGetsDecodeErrorAlertBeforeTheClose() throws Exception {
    // A real JDK ClientHello whose extensions are cut short: record and handshake lengths are made
    // to match the shorter body, so only the extension block's own length is wrong.
    byte[] hello = jdkClientHello("www.example.test");
    byte[] cut = java.util.Arrays.copyOf(hello, hello.length - 3);
    int record = cut.length - 5;
    int handshake = record - 4;
    cut[3] = (byte) (record >>> 8);
    cut[4] = (byte) record;
    cut[6] = (byte) (handshake >>> 16);
    cut[7] = (byte) (handshake >>> 8);
    cut[8] = (byte) handshake;

    RawClient.Outcome outcome = RawClient.sendAndAwaitClose(TlsConnection.loopback(proxy.tlsPort()), cut, 10_000);

    assertThat(outcome.closedByPeer()).as(outcome.how()).isTrue();
    assertThat(outcome.received()).as("a fatal decode_error alert (50), then the close")
        .containsExactly(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 50);
    AccessLogEntry entry = proxy.awaitAccessLog(outcome.localPort());
    assertThat(entry.decision()).as(entry.line()).isEqualTo("refused");
    assertThat(entry.reason()).as(entry.line()).isEqualTo("malformed");
    assertNeverReachedNginx("www.example.test");
  }

  /** The first flight of a JDK TLS client for {@code host}: one handshake record holding the ClientHello. */
  private static byte[] jdkClientHello(String host) throws Exception {
    byte[] bytes = TlsConnection.clientHello(host);
    assertThat(bytes[0]).as("a handshake record").isEqualTo((byte) 0x16);
    assertThat(((bytes[3] & 0xff) << 8 | bytes[4] & 0xff) + 5).as("exactly one record").isEqualTo(bytes.length);
    return bytes;
  }

  private static AccessLogEntry awaitHost(String host) {
    return proxy.awaitAccessLog("host=" + host, e -> host.equals(e.host()));
  }

  private static void assertUnrecognizedName(TlsConnection.FailedHandshake refused) {
    assertThat(refused.error()).isInstanceOf(SSLHandshakeException.class);
    assertThat(refused.error().getMessage()).contains("unrecognized_name");
  }

  private static void assertRefused(AccessLogEntry entry, String host, String reason) {
    assertThat(entry.decision()).as(entry.line()).isEqualTo("refused");
    assertThat(entry.reason()).as(entry.line()).isEqualTo(reason);
    assertThat(entry.host()).as(entry.line()).isEqualTo(host);
    assertThat(entry.has("endpoint")).as("nothing forwarded: %s", entry.line()).isFalse();
  }

  private static void assertNeverReachedNginx(String host) {
    assertThat(nginx.accessLog()).noneMatch(line -> line.contains(host));
  }
}
