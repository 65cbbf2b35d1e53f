package dev.edgeproxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.config.ConfigLoader;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGHUP that turns {@code acceptProxyProtocol} on, or changes {@code proxyProtocolFrom}, applies in
 * full to new connections: the per-client limit then counts the reported address (at once, before
 * any ClientHello), and only the configured peers may send a header.
 */
class ProxyProtocolReloadTest {
  @TempDir Path dir;
  private EdgeProxyServer server;
  private final List<Socket> sockets = new ArrayList<>();
  private int tlsPort;
  private int adminPort;

  @AfterEach
  void stop() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
    if (server != null) {
      server.close();
    }
  }

  @Test
  void turningProxyProtocolOnByReloadMovesThePerClientLimitToTheReportedAddress() throws Exception {
    tlsPort = Loopback.freePort();
    adminPort = Loopback.freePort();
    Files.writeString(dir.resolve("allowlist.yaml"), "allow: [grafana.example.com]\n");
    Path file = dir.resolve("edge-proxy.yaml");
    Files.writeString(file, config(""));
    server = EdgeProxyServer.start(ConfigLoader.load(file), file);

    Socket held = connect();
    awaitActive(1); // held is counted before the next one arrives (they may land on different loops)
    assertThat(Loopback.closedByProxy(connect())).as("a second connection from 127.0.0.1").isTrue();
    held.close();
    awaitActive(0);

    Files.writeString(
        file, config("acceptProxyProtocol: true\n    proxyProtocolFrom: [\"127.0.0.0/8\"]"));
    assertThat(server.reload()).isTrue();

    Socket first = connect();
    first.getOutputStream().write(proxyV2("198.51.100.7"));
    awaitActive(1); // its header decoded, so 198.51.100.7 holds its one slot
    // Same socket address, another reported client: admitted, and its hello reaches the router.
    Socket other = connect();
    other.getOutputStream().write(proxyV2("198.51.100.8"));
    assertThatThrownBy(() -> Loopback.tlsOver(other, "not-allowed.example.com").startHandshake())
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("unrecognized_name");
    // The reported client that holds its one slot: closed on the header alone, no hello needed.
    Socket second = connect();
    second.getOutputStream().write(proxyV2("198.51.100.7"));
    assertThat(Loopback.closedByProxy(second)).as("second connection reported from 198.51.100.7").isTrue();

    Files.writeString(
        file, config("acceptProxyProtocol: true\n    proxyProtocolFrom: [\"10.0.0.0/8\"]"));
    assertThat(server.reload()).isTrue();
    assertThat(Loopback.closedByProxy(connect())).as("127.0.0.1 is no longer a trusted peer").isTrue();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(metrics())
                    .containsPattern("edge_connections_total\\{[^}]*reason=\"untrusted_proxy\"")
                    .containsPattern("edge_connections_total\\{[^}]*reason=\"limit\""));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(Files.readString(dir.resolve("access.log")))
                    .contains("\"reason\":\"untrusted_proxy\"")
                    .contains("\"client\":\"198.51.100.7\""));
  }

  /** Waits until the TLS listener has {@code n} connections open (opened means counted). */
  private void awaitActive(int n) {
    Pattern active = Pattern.compile("edge_connections_active\\{[^}]*listener=\"tls\"[^}]*} ([0-9.]+)");
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              Matcher m = active.matcher(metrics());
              return m.find() && Double.parseDouble(m.group(1)) == n;
            });
  }

  private String config(String tlsExtra) {
    return """
        node: {name: proxy-reload-test, warmUpConnections: 20}
        listeners:
          tls:
            bind: "127.0.0.1:%d"
            %s
          admin:
            bind: "127.0.0.1:%d"
        backends:
          traefik:
            tls: ["127.0.0.1:9"]
        defaultBackend: traefik
        allowlist:
          file:
            path: allowlist.yaml
        limits:
          maxConnectionsPerIp: 1
        accessLog:
          format: json
          path: access.log
        """
        .formatted(tlsPort, tlsExtra, adminPort);
  }

  private Socket connect() throws IOException {
    Socket s = new Socket();
    sockets.add(s);
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), tlsPort), 2000);
    s.setSoTimeout(3000);
    return s;
  }


  /** A PROXY v2 header for a TCP over IPv4 stream from {@code client}:40000 to 203.0.113.9:443. */
  private static byte[] proxyV2(String client) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(28);
    b.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
    b.put((byte) 0x21).put((byte) 0x11).putShort((short) 12);
    b.put(InetAddress.getByName(client).getAddress());
    b.put(InetAddress.getByName("203.0.113.9").getAddress());
    b.putShort((short) 40000).putShort((short) 443);
    return b.array();
  }

  private String metrics() throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
