package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeproxy.e2e.support.ChildProcess;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.Ports;
import dev.edgeproxy.e2e.support.Tools;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The port-80 listener of the real jar in front of a real nginx that reads the PROXY header on plain HTTP
 * ({@code listen ... proxy_protocol}) and echoes the client address and Host it saw: forward mode with a second
 * keep-alive request for a refused host, and redirect mode with its ACME exception.
 */
class HttpListenerE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  static NginxBackend nginx;
  static Proxy forward;
  static Proxy redirect;

  @BeforeAll
  static void start() {
    Tools.require("nginx");
    nginx = dump.watch(NginxBackend.start());
    forward = dump.watch(Proxy.start("forward"));
    redirect = dump.watch(Proxy.start("redirect"));
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {redirect, forward, nginx}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
    }
  }

  @Test
  void forwardsWithProxyHeaderAndRefusesASecondKeepAliveRequestForAnUnknownHost() throws IOException {
    try (Socket socket = connect(forward.httpPort)) {
      int clientPort = socket.getLocalPort();
      send(socket, "GET /first?x=1 HTTP/1.1\r\nHost: www.example.test\r\nUser-Agent: e2e\r\n\r\n");
      Response first = Response.read(socket.getInputStream());
      assertThat(first.status).isEqualTo(200);
      assertThat(first.body)
          .isEqualTo("addr=127.0.0.1 port=" + clientPort + " host=www.example.test uri=/first?x=1\n");

      send(socket, "GET /second HTTP/1.1\r\nHost: evil.example.test\r\n\r\n");
      Response second = Response.read(socket.getInputStream());
      assertThat(second.status).isEqualTo(421);
      assertThat(second.body).contains("unknown host");
      assertThat(endOfStream(socket.getInputStream())).as("connection closed after the 421").isTrue();

      JsonNode log = forward.awaitAccessLog(clientPort);
      assertThat(log.path("listener").asText()).isEqualTo("http");
      assertThat(log.path("decision").asText()).isEqualTo("forwarded");
      assertThat(log.path("reason").asText()).isEqualTo("not_allowed");
      assertThat(log.path("host").asText()).isEqualTo("evil.example.test");
      assertThat(log.path("pool").asText()).isEqualTo("nginx");
    }
    assertThat(nginx.accessLog()).anyMatch(l -> l.contains("/first?x=1")).noneMatch(l -> l.contains("/second"));
  }

  @Test
  void aRefusedFirstRequestGets421AndNothingIsForwarded() throws IOException {
    try (Socket socket = connect(forward.httpPort)) {
      send(socket, "GET /never HTTP/1.1\r\nHost: evil.example.test:80\r\n\r\n");
      Response response = Response.read(socket.getInputStream());
      assertThat(response.status).isEqualTo(421);
      assertThat(endOfStream(socket.getInputStream())).isTrue();
      JsonNode log = forward.awaitAccessLog(socket.getLocalPort());
      assertThat(log.path("decision").asText()).isEqualTo("refused");
      assertThat(log.path("reason").asText()).isEqualTo("not_allowed");
    }
    assertThat(nginx.accessLog()).noneMatch(l -> l.contains("/never"));
  }

  @Test
  void redirectModeAnswers308AndForwardsAcmeChallengesOfAllowedHosts() throws IOException {
    try (Socket socket = connect(redirect.httpPort)) {
      send(socket, "GET /some/path?a=1&b=2 HTTP/1.1\r\nHost: WWW.example.test:8080\r\n\r\n");
      Response moved = Response.read(socket.getInputStream());
      assertThat(moved.status).isEqualTo(308);
      assertThat(moved.headers.get("location")).isEqualTo("https://www.example.test/some/path?a=1&b=2");
      assertThat(moved.headers.get("content-length")).isEqualTo("0");

      // keep-alive: the same connection carries the challenge, which is forwarded
      send(socket, "GET /.well-known/acme-challenge/e2e-token_1 HTTP/1.1\r\nHost: www.example.test\r\n\r\n");
      Response challenge = Response.read(socket.getInputStream());
      assertThat(challenge.status).isEqualTo(200);
      assertThat(challenge.body)
          .isEqualTo("addr=127.0.0.1 port=" + socket.getLocalPort()
              + " host=www.example.test uri=/.well-known/acme-challenge/e2e-token_1\n");
    }
  }

  @Test
  void redirectModeRefusesAcmeChallengesOfUnknownHosts() throws IOException {
    try (Socket socket = connect(redirect.httpPort)) {
      send(socket, "GET /.well-known/acme-challenge/stolen HTTP/1.1\r\nHost: evil.example.test\r\n\r\n");
      Response response = Response.read(socket.getInputStream());
      assertThat(response.status).isEqualTo(421);
      assertThat(response.headers).doesNotContainKey("location");
      assertThat(endOfStream(socket.getInputStream())).isTrue();
      JsonNode log = redirect.awaitAccessLog(socket.getLocalPort());
      assertThat(log.path("decision").asText()).isEqualTo("refused");
      assertThat(log.path("host").asText()).isEqualTo("evil.example.test");
    }
    assertThat(nginx.accessLog()).noneMatch(l -> l.contains("stolen"));
  }

  /**
   * Issue 8: no spelling of a request reaches the backend of a host that is not allowed, although nginx routes by
   * the request target's authority: other schemes, user info, a WebSocket URL, CONNECT, and an h2c upgrade (whose
   * HTTP/2 streams would not be checked at all).
   */
  @Test
  void noSpellingOfARequestReachesADeniedHostsBackend() throws IOException {
    String denied = NginxBackend.DENIED_HOST;
    String[] heads = {
      "GET foo://" + denied + "/foo HTTP/1.1\r\nHost: www.example.test\r\n\r\n",
      "GET ws://" + denied + "/ws HTTP/1.1\r\nHost: www.example.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
      "GET http://www.example.test@" + denied + "/userinfo HTTP/1.1\r\nHost: www.example.test\r\n\r\n",
      "GET HTTP://" + denied.toUpperCase(Locale.ROOT) + "/upper HTTP/1.1\r\nHost: www.example.test\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: www.example.test\r\nHost: " + denied + "\r\n\r\n",
      "CONNECT " + denied + ":80 HTTP/1.1\r\nHost: " + denied + ":80\r\n\r\n",
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    };
    for (String head : heads) {
      try (Socket socket = connect(forward.httpPort)) {
        send(socket, head);
        Response response = Response.read(socket.getInputStream());
        assertThat(response.status).as(head).isBetween(400, 505).isNotEqualTo(421);
        assertThat(endOfStream(socket.getInputStream())).as(head).isTrue();
      }
    }

    // h2c: the upgrade offer is removed, the request is answered in HTTP/1.1, and the connection stays checked
    try (Socket socket = connect(forward.httpPort)) {
      send(socket, "GET /h2c HTTP/1.1\r\nHost: www.example.test\r\nConnection: Upgrade, HTTP2-Settings\r\n"
          + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n");
      Response answer = Response.read(socket.getInputStream());
      assertThat(answer.status).isEqualTo(200);
      assertThat(answer.body).contains("host=www.example.test uri=/h2c");
      send(socket, "GET /after-h2c HTTP/1.1\r\nHost: " + denied + "\r\n\r\n");
      assertThat(Response.read(socket.getInputStream()).status).isEqualTo(421);
    }
    assertThat(nginx.accessLog()).anyMatch(l -> l.contains("/h2c") && l.endsWith("upgrade=-"));
    assertThat(nginx.accessLog()).noneMatch(l -> l.contains("host=" + denied) || l.contains("/after-h2c"));
  }

  // ---- helpers -----------------------------------------------------------------------------

  static Socket connect(int port) throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(10_000);
    return socket;
  }

  static void send(Socket socket, String text) throws IOException {
    socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
    socket.getOutputStream().flush();
  }

  /** True when the peer closed (FIN or reset) before sending anything more. */
  static boolean endOfStream(InputStream in) {
    try {
      return in.read() < 0;
    } catch (IOException e) {
      return !(e instanceof java.net.SocketTimeoutException);
    }
  }

  /** One HTTP/1.1 response with a Content-Length body (all the proxy and this nginx send here). */
  record Response(int status, Map<String, String> headers, String body) {
    static Response read(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      int matched = 0;
      while (matched < 4) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("connection closed inside a response head: " + head);
        }
        head.write(b);
        matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        if (head.size() > 65536) {
          throw new IOException("response head too long");
        }
      }
      String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
      }
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      byte[] body = in.readNBytes(length);
      return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    }
  }

  /** The jar with an http listener in one mode; self-contained YAML, since the shared ProxyConfig has no http block. */
  static final class Proxy implements AutoCloseable, dev.edgeproxy.e2e.support.Diagnosable {
    final int httpPort = Ports.free();
    final int tlsPort = Ports.free();
    final int adminPort = Ports.free();
    final Path dir;
    final ChildProcess process;

    private Proxy(String mode) {
      dir = WorkDirs.create("edge-proxy-http-" + mode);
      try {
        Files.writeString(dir.resolve("allowlist.yaml"), "allow:\n  - \"www.example.test\"\ndeny: []\n");
        Files.writeString(dir.resolve("edge-proxy.yaml"), """
            node:
              name: e2e-http-%1$s
              warmUpConnections: 50
            listeners:
              tls:
                bind: "127.0.0.1:%2$d"
              http:
                bind: "127.0.0.1:%3$d"
                mode: %1$s
                headerTimeout: 5s
              admin:
                bind: "127.0.0.1:%4$d"
                allowFrom: ["127.0.0.0/8"]
                syncToken: e2e-sync-token
            backends:
              nginx:
                tls: ["127.0.0.1:%5$d"]
                http: ["127.0.0.1:%6$d"]
                proxyProtocol: v2
                connectTimeout: 2s
                healthCheck:
                  interval: 1s
                  timeout: 1s
                  unhealthyAfter: 3
                  healthyAfter: 1
            routes: []
            defaultBackend: nginx
            allowlist:
              stateFile: "%7$s"
              maxShrink: 50%%
              enforce: true
              file:
                path: "%8$s"
            """.formatted(mode, tlsPort, httpPort, adminPort, nginx.tlsPort(), nginx.httpPort(),
            dir.resolve("allowlist-state.json"), dir.resolve("allowlist.yaml")));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      process = ChildProcess.start("edge-proxy-" + mode,
          EdgeProxyProcess.javaJar(List.of("-Dio.netty.leakDetection.level=paranoid"),
              "run", "--allow-root", "--config", dir.resolve("edge-proxy.yaml").toString()),
          dir);
    }

    static Proxy start(String mode) {
      Proxy proxy = new Proxy(mode);
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      URI readyz = URI.create("http://127.0.0.1:" + proxy.adminPort + "/readyz");
      try {
        await("edge-proxy (" + mode + ") ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> {
              if (!proxy.process.alive()) {
                throw new IllegalStateException("edge-proxy exited\n" + proxy.diagnostics());
              }
              try {
                return client.send(HttpRequest.newBuilder(readyz).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
              } catch (IOException e) {
                return false;
              }
            });
      } catch (RuntimeException | AssertionError e) {
        proxy.process.close();
        throw new AssertionError("edge-proxy did not become ready\n" + proxy.diagnostics(), e);
      }
      return proxy;
    }

    List<JsonNode> accessLog() {
      List<JsonNode> entries = new ArrayList<>();
      for (String line : process.stdout().split("\n")) {
        String trimmed = line.trim();
        if (trimmed.startsWith("{")) {
          try {
            JsonNode json = JSON.readTree(trimmed);
            if (json.has("decision")) {
              entries.add(json);
            }
          } catch (IOException e) {
            // not an access-log line
          }
        }
      }
      return entries;
    }

    JsonNode awaitAccessLog(int clientPort) {
      return await("access log of client port " + clientPort).atMost(Duration.ofSeconds(15))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> accessLog().stream().filter(e -> e.path("clientPort").asInt() == clientPort).findFirst()
              .orElse(null), e -> e != null);
    }

    @Override
    public String diagnostics() {
      String yaml;
      try {
        yaml = Files.readString(dir.resolve("edge-proxy.yaml"));
      } catch (IOException e) {
        yaml = e.toString();
      }
      return process.diagnostics() + "\n--- edge-proxy.yaml ---\n" + yaml;
    }

    @Override
    public void close() {
      if (process.alive()) {
        int exit = process.terminate(Duration.ofSeconds(30));
        assertThat(exit).as("exit status after SIGTERM\n%s", diagnostics()).isZero();
      }
      assertThat(process.stdout() + process.stderr()).as("Netty leak reports").doesNotContain("LEAK:");
    }
  }
}
