package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgeproxy.e2e.support.AccessLogEntry;
import dev.edgeproxy.e2e.support.CliClients;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.HaproxyBackend;
import dev.edgeproxy.e2e.support.JdkHttp;
import dev.edgeproxy.e2e.support.LargeFile;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.Teardown;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.Tools;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Allowed hosts through the real jar to real TLS-terminating backends: the backend sees the real client address in
 * the PROXY header and the client's own SNI in the handshake (the proxy never terminates TLS).
 */
class ForwardingE2eTest {

  private static final Pattern NGINX_REPLY = Pattern.compile("addr=(\\S+) port=(\\d+) sni=(\\S*)\n");
  private static final Pattern HAPROXY_REPLY = Pattern.compile("src=(\\S+) authority=(\\S*) uid=(\\S*) sni=(\\S*)\n");

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  static NginxBackend nginx;
  static HaproxyBackend haproxy;
  static EdgeProxyProcess proxy;

  @BeforeAll
  static void start() {
    Tools.require("nginx", "haproxy", "curl", "openssl");
    nginx = dump.watch(NginxBackend.start());
    haproxy = dump.watch(HaproxyBackend.start());
    ProxyConfig config = new ProxyConfig()
        .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
        .pool("haproxy", "127.0.0.1:" + haproxy.tlsPort())
        .defaultBackend("nginx")
        .route("haproxy", "haproxy.example.test")
        .allow("www.example.test", "*.apps.example.test", "haproxy.example.test", "v6.example.test")
        // bulk transfer is measured here: paranoid leak tracking would dominate it (the other classes use it)
        .leakDetection("simple");
    if (config.tlsPortV6() != 0) {
      // v2 header over IPv6 with TLVs can pass nginx 1.22's 107-byte limit: this pool sends none
      config.pool(new ProxyConfig.Pool("nginx6", List.of("[::1]:" + nginx.tlsPort()), "v2", List.of()))
          .route("nginx6", "v6.example.test");
    }
    proxy = dump.watch(EdgeProxyProcess.start(config));
  }

  @AfterAll
  static void stop() throws Exception {
    Teardown.stopThenClose(proxy, haproxy, nginx);
  }

  @Test
  void adminEndpointAnswersHealthAndReadiness() throws Exception {
    var healthz = proxy.admin("/healthz");
    var readyz = proxy.admin("/readyz");

    assertThat(healthz.getKey()).isEqualTo(200);
    assertThat(healthz.getValue().strip()).isEqualTo("ok");
    assertThat(readyz.getKey()).isEqualTo(200);
  }

  @Test
  void jdkHttpClientReachesNginxWhichSeesTheRealClient() throws Exception {
    HttpResponse<String> response = JdkHttp.get("127.0.0.1", proxy.tlsPort(), "jdk.apps.example.test", "/");

    assertThat(response.statusCode()).isEqualTo(200);
    Matcher reply = matchNginx(response.body());
    assertThat(reply.group(1)).isEqualTo("127.0.0.1");
    assertThat(reply.group(3)).isEqualTo("jdk.apps.example.test");
    // the port nginx got in the PROXY header is the client's own source port: the key to the access-log line
    assertForwarded(proxy.awaitAccessLog(Long.parseLong(reply.group(2))), "jdk.apps.example.test", "nginx",
        nginx.tlsPort());
  }

  @Test
  void curlReachesNginxWhichSeesTheRealClient() {
    CliClients.CurlReply curl = CliClients.curl("curl.apps.example.test", proxy.tlsPort(), "127.0.0.1", "/");

    assertThat(curl.status()).as(curl.result().describe()).isEqualTo(200);
    assertThat(curl.body()).isEqualTo("addr=127.0.0.1 port=" + curl.localPort() + " sni=curl.apps.example.test\n");
    assertForwarded(proxy.awaitAccessLog(curl.localPort()), "curl.apps.example.test", "nginx", nginx.tlsPort());
  }

  @Test
  void opensslSClientReachesNginxAndVerifiesItsCertificate() {
    Exec.Result openssl = CliClients.opensslGet("127.0.0.1", proxy.tlsPort(), "www.example.test", "/");

    assertThat(openssl.exitCode()).as(openssl.describe()).isZero();
    assertThat(openssl.stdout()).as(openssl.describe()).contains("Verify return code: 0 (ok)");
    Matcher reply = NGINX_REPLY.matcher(openssl.stdout());
    assertThat(reply.find()).as(openssl.describe()).isTrue();
    assertThat(reply.group(1)).isEqualTo("127.0.0.1");
    assertThat(reply.group(3)).isEqualTo("www.example.test");
    assertForwarded(proxy.awaitAccessLog(Long.parseLong(reply.group(2))), "www.example.test", "nginx",
        nginx.tlsPort());
  }

  @Test
  void haproxyGetsTheSniAsAuthorityTlvAndTheAccessLogIdAsUniqueId() throws IOException {
    TlsConnection.Reply reply;
    long clientPort;
    try (TlsConnection connection = TlsConnection.open(TlsConnection.loopback(proxy.tlsPort()), "haproxy.example.test")) {
      clientPort = connection.localPort();
      reply = connection.get("/");
    }

    assertThat(reply.status()).isEqualTo(200);
    Matcher tlvs = HAPROXY_REPLY.matcher(reply.body());
    assertThat(tlvs.matches()).as(reply.body()).isTrue();
    assertThat(tlvs.group(1)).isEqualTo("127.0.0.1");
    assertThat(tlvs.group(2)).as("PP2_TYPE_AUTHORITY").isEqualTo("haproxy.example.test");
    assertThat(tlvs.group(4)).as("SNI of the handshake HAProxy terminated").isEqualTo("haproxy.example.test");
    AccessLogEntry entry = proxy.awaitAccessLog(clientPort);
    assertForwarded(entry, "haproxy.example.test", "haproxy", haproxy.tlsPort());
    assertThat(tlvs.group(3)).as("PP2_TYPE_UNIQUE_ID").isNotEmpty().isEqualTo(entry.id());
  }

  @Test
  void ipv6ListenerForwardsToAnIpv6Backend() throws IOException {
    assumeTrue(proxy.tlsPortV6() != 0, "no IPv6 loopback on this machine");
    TlsConnection.Reply reply;
    long clientPort;
    try (TlsConnection connection = TlsConnection.open(TlsConnection.loopbackV6(proxy.tlsPortV6()), "v6.example.test")) {
      clientPort = connection.localPort();
      reply = connection.get("/");
    }

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.body()).isEqualTo("addr=::1 port=" + clientPort + " sni=v6.example.test\n");
    AccessLogEntry entry = proxy.awaitAccessLog(clientPort);
    assertThat(entry.decision()).as(entry.line()).isEqualTo("forwarded");
    assertThat(entry.pool()).as(entry.line()).isEqualTo("nginx6");
    InetAddress client = InetAddress.getByName(entry.client());
    assertThat(client).as(entry.line()).isInstanceOf(Inet6Address.class);
    assertThat(client.isLoopbackAddress()).as(entry.line()).isTrue();
    assertThat(entry.endpoint()).as(entry.line()).contains(String.valueOf(nginx.tlsPort()));
  }

  @Test
  void largeDownloadArrivesByteForByte() throws IOException {
    LargeFile big = LargeFile.get();

    Transfer viaProxy = download(TlsConnection.loopback(proxy.tlsPort()), "big.apps.example.test");
    Transfer direct = download(TlsConnection.loopback(nginx.directTlsPort()), "big.apps.example.test");

    assertThat(viaProxy.bytes()).isEqualTo(LargeFile.SIZE);
    assertThat(viaProxy.sha256()).isEqualTo(big.sha256());
    assertThat(direct.sha256()).isEqualTo(big.sha256());
    AccessLogEntry entry = proxy.awaitAccessLog(viaProxy.clientPort());
    assertThat(entry.decision()).as(entry.line()).isEqualTo("forwarded");
    assertThat(entry.bytesOut()).as("bytes to the client: %s", entry.line()).isGreaterThan(LargeFile.SIZE);
    // printed for the report, never asserted: a shared 2-core machine gives no stable numbers.
    // curl (C, OpenSSL, no hashing) shows the path; the JDK numbers include SHA-256 of every byte.
    CliClients.CurlReply curlViaProxy =
        CliClients.curlDownload("big.apps.example.test", proxy.tlsPort(), "/" + LargeFile.NAME);
    CliClients.CurlReply curlDirect =
        CliClients.curlDownload("big.apps.example.test", nginx.directTlsPort(), "/" + LargeFile.NAME);
    assertThat(curlViaProxy.status()).as(curlViaProxy.result().describe()).isEqualTo(200);
    assertThat(curlDirect.status()).as(curlDirect.result().describe()).isEqualTo(200);
    System.out.printf("64 MiB over TLS, JDK client + SHA-256: via edge-proxy %.1f MB/s (%d ms), direct to nginx"
            + " %.1f MB/s (%d ms)%n", viaProxy.megabytesPerSecond(), viaProxy.millis(),
        direct.megabytesPerSecond(), direct.millis());
    System.out.printf("64 MiB over TLS, curl to /dev/null: via edge-proxy %s MB/s, direct to nginx %s MB/s%n",
        curlViaProxy.body(), curlDirect.body());
  }

  private record Transfer(long bytes, String sha256, long nanos, int clientPort) {
    long millis() {
      return nanos / 1_000_000;
    }

    double megabytesPerSecond() {
      return bytes / 1e6 / (nanos / 1e9);
    }
  }

  private static Transfer download(InetSocketAddress address, String sni) throws IOException {
    MessageDigest digest = LargeFile.newDigest();
    long start = System.nanoTime();
    try (TlsConnection connection = TlsConnection.open(address, sni)) {
      long bytes = connection.download("/" + LargeFile.NAME, digest);
      return new Transfer(bytes, HexFormat.of().formatHex(digest.digest()), System.nanoTime() - start,
          connection.localPort());
    }
  }

  private static Matcher matchNginx(String body) {
    Matcher reply = NGINX_REPLY.matcher(body);
    assertThat(reply.matches()).as("nginx reply %s", body).isTrue();
    return reply;
  }

  private static void assertForwarded(AccessLogEntry entry, String host, String pool, int backendPort) {
    assertThat(entry.decision()).as(entry.line()).isEqualTo("forwarded");
    assertThat(entry.host()).as(entry.line()).isEqualTo(host);
    assertThat(entry.text("listener")).as(entry.line()).isEqualTo("tls");
    assertThat(entry.client()).as(entry.line()).isEqualTo("127.0.0.1");
    assertThat(entry.pool()).as(entry.line()).isEqualTo(pool);
    assertThat(entry.endpoint()).as(entry.line()).isEqualTo("127.0.0.1:" + backendPort);
    assertThat(entry.id()).as(entry.line()).isNotBlank();
    assertThat(entry.bytesIn()).as(entry.line()).isPositive();
    assertThat(entry.bytesOut()).as(entry.line()).isPositive();
    assertThat(entry.number("durationMs")).as(entry.line()).isNotNull().isNotNegative();
    assertThat(OffsetDateTime.parse(entry.text("time")).toInstant()).as(entry.line()).isBeforeOrEqualTo(Instant.now());
  }
}
