package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgeproxy.e2e.support.Certificates;
import dev.edgeproxy.e2e.support.CliClients;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.HaproxyBackend;
import dev.edgeproxy.e2e.support.JdkHttp;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyV2;
import dev.edgeproxy.e2e.support.TlsConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Proves the backends used by the end-to-end tests parse a hand-made PROXY v2 header (with TLVs), so that a
 * failure in the proxy tests points at the proxy, not at the fixtures. No edge-proxy involved.
 */
class FixturesSelfTest {

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  static NginxBackend nginx;
  static HaproxyBackend haproxy;

  @BeforeAll
  static void startBackends() {
    nginx = dump.watch(NginxBackend.start());
    haproxy = dump.watch(HaproxyBackend.start());
  }

  @AfterAll
  static void stopBackends() {
    if (haproxy != null) {
      haproxy.close();
    }
    if (nginx != null) {
      nginx.close();
    }
  }

  @Test
  void nginxDirectPortAnswersWithoutProxyHeader() throws IOException {
    TlsConnection.Reply reply = TlsConnection.get(TlsConnection.loopback(nginx.directTlsPort()), "www.example.test", "/");

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.body()).isEqualTo("direct addr=127.0.0.1 sni=www.example.test\n");
  }

  @Test
  void jdkHttpClientSendsTheChosenSniToAnIpAddress() throws Exception {
    HttpResponse<String> response = JdkHttp.get("127.0.0.1", nginx.directTlsPort(), "jdk.example.test", "/");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("direct addr=127.0.0.1 sni=jdk.example.test\n");
  }

  @Test
  void nginxReadsProxyV2SourceAddressBeforeTls() throws IOException {
    byte[] header = ProxyV2.header(new InetSocketAddress("192.0.2.7", 40001),
        new InetSocketAddress("127.0.0.1", nginx.tlsPort()), "www.example.test", "abc123");

    String body = getBehindHeader(nginx.tlsPort(), header, "www.example.test");

    assertThat(body).isEqualTo("addr=192.0.2.7 port=40001 sni=www.example.test\n");
  }

  @Test
  void curlAndOpensslHelpersTalkToNginx() {
    CliClients.CurlReply curl = CliClients.curl("curl.example.test", nginx.directTlsPort(), "127.0.0.1", "/");
    Exec.Result openssl = CliClients.opensslGet("127.0.0.1", nginx.directTlsPort(), "openssl.example.test", "/");

    assertThat(curl.status()).as(curl.result().describe()).isEqualTo(200);
    assertThat(curl.body()).isEqualTo("direct addr=127.0.0.1 sni=curl.example.test\n");
    assertThat(curl.localPort()).isPositive();
    assertThat(openssl.exitCode()).as(openssl.describe()).isZero();
    assertThat(openssl.stdout()).contains("direct addr=127.0.0.1 sni=openssl.example.test\n");
  }

  /**
   * Why pools in front of Debian's nginx set {@code proxyProtocolTlvs: []}: nginx before 1.23 drops a connection
   * whose v2 header is longer than 107 bytes (IPv6 addresses plus TLVs get there quickly).
   */
  @Test
  void nginx122DropsAProxyV2HeaderLongerThan107Bytes() throws IOException {
    byte[] shortHeader = ProxyV2.header(new InetSocketAddress("2001:db8::7", 40003),
        new InetSocketAddress("::1", nginx.tlsPort()), "www.example.test", "id1");
    assertThat(shortHeader.length).isLessThanOrEqualTo(107);
    assertThat(getBehindHeader(nginx.tlsPort(), shortHeader, "www.example.test"))
        .isEqualTo("addr=2001:db8::7 port=40003 sni=www.example.test\n");

    String longId = "x".repeat(60);
    byte[] header = ProxyV2.header(new InetSocketAddress("2001:db8::7", 40003),
        new InetSocketAddress("::1", nginx.tlsPort()), "www.example.test", longId);
    assertThat(header.length).isGreaterThan(107);

    assertThatThrownBy(() -> getBehindHeader(nginx.tlsPort(), header, "www.example.test"))
        .isInstanceOf(IOException.class);
  }

  @Test
  void haproxyShowsAuthorityAndUniqueIdTlvs() throws IOException {
    byte[] header = ProxyV2.header(new InetSocketAddress("192.0.2.9", 40002),
        new InetSocketAddress("127.0.0.1", haproxy.tlsPort()), "haproxy.example.test", "conn-42");

    String body = getBehindHeader(haproxy.tlsPort(), header, "haproxy.example.test");

    assertThat(body).isEqualTo("src=192.0.2.9 authority=haproxy.example.test uid=conn-42 sni=haproxy.example.test\n");
  }

  /** Sends the PROXY header in clear, then runs TLS over the same socket and GETs /. */
  private static String getBehindHeader(int port, byte[] header, String sni) throws IOException {
    try (Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
      raw.setSoTimeout(10_000);
      raw.getOutputStream().write(header);
      raw.getOutputStream().flush();
      try (SSLSocket tls = (SSLSocket) Certificates.get().clientContext().getSocketFactory()
          .createSocket(raw, "127.0.0.1", port, false)) {
        SSLParameters parameters = tls.getSSLParameters();
        parameters.setServerNames(List.of(new SNIHostName(sni)));
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setSSLParameters(parameters);
        tls.startHandshake();
        OutputStream out = tls.getOutputStream();
        out.write(("GET / HTTP/1.1\r\nHost: " + sni + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = tls.getInputStream();
        String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        assertThat(response).startsWith("HTTP/1.1 200");
        return response.substring(response.indexOf("\r\n\r\n") + 4);
      }
    }
  }
}
