package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.server.EdgeProxyServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A real {@link EdgeProxyServer} on loopback for admin tests: free ports, a backend that accepts
 * and closes (so health checks pass), an HTTP client, and a local bare Git repository driven by
 * the git CLI.
 */
final class AdminFixture implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  final int tlsPort;
  final int adminPort;
  final int backendPort;
  private final ServerSocket backend;
  private EdgeProxyServer server;

  AdminFixture() throws IOException {
    this.backend = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.backendPort = backend.getLocalPort();
    this.tlsPort = freePort();
    this.adminPort = freePort();
    Thread acceptor =
        new Thread(
            () -> {
              while (!backend.isClosed()) {
                try (Socket s = backend.accept()) {
                  s.setSoLinger(true, 0);
                } catch (IOException e) {
                  // closed at the end of the test
                }
              }
            },
            "test-backend");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** The {@code syncToken} of {@link #config}. */
  static final String SYNC_TOKEN = "t0ken";

  /**
   * A configuration with this fixture's TLS and admin ports (admin token {@link #SYNC_TOKEN}), one
   * backend pool {@code web} that is this fixture's backend, no access log, and {@code allowlist}
   * as the {@code allowlist:} section.
   */
  String config(String node, String allowlist) {
    return """
        node: {name: %s, warmUpConnections: 20}
        listeners:
          tls:
            bind: "127.0.0.1:%d"
          admin:
            bind: "127.0.0.1:%d"
            syncToken: %s
        backends:
          web:
            tls: ["127.0.0.1:%d"]
        defaultBackend: web
        allowlist:
        %s
        accessLog:
          format: none
        """
        .formatted(node, tlsPort, adminPort, SYNC_TOKEN, backendPort, allowlist.indent(2));
  }

  /** An allow-list file allowing {@code h1.example.com} to {@code hN.example.com}. */
  static String hosts(int n) {
    StringBuilder list = new StringBuilder("allow:\n");
    for (int i = 1; i <= n; i++) {
      list.append("  - h").append(i).append(".example.com\n");
    }
    return list.toString();
  }

  /**
   * The value of the first sample in Prometheus {@code text} whose line starts with {@code prefix}
   * (a metric name and its opening brace) and contains {@code containing} (a label), if any.
   */
  static OptionalDouble metric(String text, String prefix, String containing) {
    return text.lines()
        .filter(l -> l.startsWith(prefix) && l.contains(containing))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst();
  }

  /** Starts the server from YAML, with {@code env} for both the config and the webhook secret. */
  AdminFixture start(String yaml, Map<String, String> configEnv, Function<String, String> env)
      throws Exception {
    server = EdgeProxyServer.start(ConfigLoader.loadFromString(yaml, "test.yaml", configEnv), null, env);
    return this;
  }

  /** Writes {@code yaml} to {@code configFile}, then starts the server from it. */
  AdminFixture startFromFile(Path configFile, String yaml) throws Exception {
    Files.writeString(configFile, yaml);
    return startFromFile(configFile);
  }

  /** Starts the server from a configuration file, so that {@link #server()} can reload it. */
  AdminFixture startFromFile(Path configFile) throws Exception {
    server = EdgeProxyServer.start(ConfigLoader.load(configFile), configFile, name -> null);
    return this;
  }

  EdgeProxyServer server() {
    return server;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  URI uri(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + adminPort + pathAndQuery);
  }

  HttpResponse<String> get(String path, String... headers) throws Exception {
    return send(request(path, headers).GET().build());
  }

  HttpResponse<String> post(String path, byte[] body, String... headers) throws Exception {
    return send(request(path, headers).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
  }

  HttpResponse<String> method(String method, String path) throws Exception {
    return send(request(path).method(method, HttpRequest.BodyPublishers.noBody()).build());
  }

  JsonNode json(String path) throws Exception {
    HttpResponse<String> r = get(path);
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    return JSON.readTree(r.body());
  }

  private HttpRequest.Builder request(String path, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return b;
  }

  private static HttpResponse<String> send(HttpRequest r) throws Exception {
    return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
  }

  static String hmacHex(String secret, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    StringBuilder hex = new StringBuilder();
    for (byte b : mac.doFinal(body)) {
      hex.append(String.format("%02x", b));
    }
    return hex.toString();
  }

  @Override
  public void close() throws IOException {
    if (server != null) {
      server.close();
    }
    backend.close();
  }

  /** A bare repository {@code origin.git} and a working clone that commits and pushes to it. */
  static final class GitRepo {
    final Path bare;
    private final Path work;

    private GitRepo(Path bare, Path work) {
      this.bare = bare;
      this.work = work;
    }

    static boolean gitPresent() {
      try {
        return new ProcessBuilder("git", "--version").start().waitFor() == 0;
      } catch (IOException | InterruptedException e) {
        return false;
      }
    }

    /** Skips the test when git is missing, except on CI where that is a failure. */
    static GitRepo create(Path dir, String allowListYaml) throws Exception {
      assumeTrue(gitPresent() || "true".equals(System.getenv("CI")), "git CLI not installed");
      Path bare = dir.resolve("origin.git");
      Path work = dir.resolve("work");
      git(dir, "init", "-q", "--bare", "-b", "main", bare.toString());
      git(dir, "init", "-q", "-b", "main", work.toString());
      GitRepo repo = new GitRepo(bare, work);
      repo.commit(allowListYaml, "first list");
      git(work, "remote", "add", "origin", bare.toString());
      git(work, "push", "-q", "origin", "main");
      return repo;
    }

    String url() {
      return bare.toUri().toString();
    }

    /** Commits a new allowlist.yaml and pushes it; returns the commit id. */
    String commitAndPush(String allowListYaml, String message) throws Exception {
      commit(allowListYaml, message);
      git(work, "push", "-q", "origin", "main");
      return head();
    }

    String head() throws Exception {
      return git(work, "rev-parse", "HEAD").strip();
    }

    private void commit(String yaml, String message) throws Exception {
      Files.writeString(work.resolve("allowlist.yaml"), yaml);
      git(work, "add", "allowlist.yaml");
      git(
          work, "-c", "user.name=test", "-c", "user.email=test@example.com", "-c",
          "commit.gpgsign=false", "commit", "-q", "-m", message);
    }

    private static String git(Path dir, String... args) throws Exception {
      List<String> cmd = new ArrayList<>();
      cmd.add("git");
      cmd.addAll(List.of(args));
      Process p =
          new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
      return out;
    }
  }
}
