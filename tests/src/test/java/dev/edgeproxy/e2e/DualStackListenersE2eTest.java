package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.AdminHttp;
import dev.edgeproxy.e2e.support.ChildProcess;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Ports;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regression for the shipped configuration crash-looping on Linux: the example's listener layout
 * ({@code bind: ["0.0.0.0:443", "[::]:443"]}) failed with "Address already in use" because the
 * IPv4 wildcard took a dual-stack socket. Here the example's {@code listeners:} section, unchanged
 * but for the ports, starts for real on both transports and answers over IPv4 and IPv6.
 */
class DualStackListenersE2eTest {
  static final Path EXAMPLE =
      Path.of(System.getProperty("user.dir")).resolveSibling("config/examples/edge-proxy.example.yaml");

  @ParameterizedTest
  @ValueSource(strings = {"nio", "epoll"})
  void theExampleListenerLayoutStartsAndServesBothFamilies(String transport) throws Exception {
    int tls = Ports.free();
    int http = Ports.free();
    int admin = Ports.free();
    Path dir = WorkDirs.create("edge-proxy-dual-stack-" + transport);
    Files.writeString(dir.resolve("allowlist.yaml"), "allow: [\"www.example.test\"]\n");
    Files.writeString(dir.resolve("edge-proxy.yaml"), config(tls, http, admin, dir));

    try (ChildProcess proxy =
        ChildProcess.start(
            "edge-proxy-" + transport,
            EdgeProxyProcess.javaJar(
                List.of("-Dedgeproxy.transport=" + transport, "-Dio.netty.leakDetection.level=paranoid"),
                "run",
                "--allow-root",
                "--config",
                dir.resolve("edge-proxy.yaml").toString()),
            dir,
            Map.of("EDGE_SYNC_TOKEN", "dual-stack-token"))) {
      await("listening")
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                assertThat(proxy.alive()).as(proxy.diagnostics()).isTrue();
                return Ports.listening("127.0.0.1", admin);
              });
      assertThat(proxy.stderr()).contains("transport=" + transport);

      assertThat(AdminHttp.request(admin, "GET", "/healthz", Map.of(), null, 5_000).status())
          .isEqualTo(200);
      for (InetSocketAddress address :
          List.of(TlsConnection.loopback(tls), TlsConnection.loopbackV6(tls))) {
        var refused = TlsConnection.failedHandshake(address, "denied.example.test");
        assertThat(refused.error().getMessage())
            .as("TLS via %s", address)
            .contains("unrecognized_name");
      }
      assertThat(httpStatus("127.0.0.1", http)).as("HTTP via IPv4").startsWith("HTTP/1.1 421");
      assertThat(proxy.alive()).as(proxy.diagnostics()).isTrue();
    }
  }

  /** The example's listeners section, verbatim but for the ports, with a backend of our own. */
  static String config(int tls, int http, int admin, Path dir) throws IOException {
    String example = Files.readString(EXAMPLE);
    String listeners =
        example.substring(example.indexOf("\nlisteners:"), example.indexOf("\nbackends:"));
    assertThat(listeners).contains("\"0.0.0.0:443\", \"[::]:443\"");
    listeners =
        listeners
            .replace(":443\"", ":" + tls + "\"")
            .replace("0.0.0.0:80\"", "0.0.0.0:" + http + "\"")
            .replace(":9901\"", ":" + admin + "\"")
            .replace(":9902\"", ":" + Ports.free() + "\"");
    return "node:\n  name: dual-stack\n  warmUpConnections: 50\n"
        + listeners
        + """

        backends:
          local:
            tls: ["127.0.0.1:9"]
            http: ["127.0.0.1:9"]
        defaultBackend: local
        allowlist:
          stateFile: "%s"
          file:
            path: "%s"
        """
            .formatted(dir.resolve("state.json"), dir.resolve("allowlist.yaml"));
  }

  static String httpStatus(String host, int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 5_000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write("GET / HTTP/1.1\r\nHost: denied.example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] head = in.readNBytes(12);
      return new String(head, StandardCharsets.US_ASCII);
    }
  }
}
