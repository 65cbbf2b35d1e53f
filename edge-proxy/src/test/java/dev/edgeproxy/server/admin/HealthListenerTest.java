package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.config.ConfigException;
import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.HealthListenerConfig;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code listeners.health}: readiness for outside checkers, nothing else, only to its allowFrom. */
class HealthListenerTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  @TempDir Path dir;

  private String yaml(AdminFixture fx, int healthPort, String allowFrom, Path allowList) {
    return yaml(fx, healthPort, allowFrom, allowList, "");
  }

  /** {@code extraHealthKeys}: more lines of {@code listeners.health}, each indented by four spaces. */
  private String yaml(AdminFixture fx, int healthPort, String allowFrom, Path allowList, String extraHealthKeys) {
    return """
        listeners:
          tls:
            bind: "127.0.0.1:%d"
          admin:
            bind: "127.0.0.1:%d"
          health:
            bind: "127.0.0.1:%d"
            allowFrom: [%s]
        %s
        backends:
          web:
            tls: ["127.0.0.1:%d"]
        defaultBackend: web
        allowlist:
          file:
            path: "%s"
        accessLog:
          format: none
        """
        .formatted(fx.tlsPort, fx.adminPort, healthPort, allowFrom, extraHealthKeys, fx.backendPort, allowList);
  }

  private static HttpResponse<String> send(String method, int port, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answersReadinessAndHealthOnlyWithoutDetail() throws Exception {
    Path list = Files.writeString(dir.resolve("allowlist.yaml"), "allow: [a.example.com]\n");
    int port = AdminFixture.freePort();
    try (AdminFixture fx = new AdminFixture()) {
      fx.start(yaml(fx, port, "\"127.0.0.0/8\"", list), Map.of(), name -> null);
      await().atMost(Duration.ofSeconds(15)).until(() -> send("GET", port, "/readyz").statusCode() == 200);

      HttpResponse<String> ready = send("GET", port, "/readyz");
      assertThat(ready.body()).isEqualTo("ready\n");
      assertThat(ready.headers().firstValue("connection")).contains("close");
      assertThat(send("GET", port, "/healthz").body()).isEqualTo("ok\n");
      assertThat(send("HEAD", port, "/readyz").statusCode()).isEqualTo(200);
      for (String adminPath : new String[] {"/metrics", "/status", "/allowlist", "/sync", "/hooks/git"}) {
        assertThat(send("GET", port, adminPath).statusCode()).as(adminPath).isEqualTo(404);
      }
      assertThat(send("POST", port, "/readyz").statusCode()).isEqualTo(405);
    }
  }

  @Test
  void saysNotReadyWithoutTheReasons() throws Exception {
    Path missing = dir.resolve("no-such-allowlist.yaml");
    int port = AdminFixture.freePort();
    try (AdminFixture fx = new AdminFixture()) {
      fx.start(yaml(fx, port, "\"127.0.0.1/32\"", missing), Map.of(), name -> null);

      HttpResponse<String> notReady = send("GET", port, "/readyz");
      assertThat(notReady.statusCode()).isEqualTo(503);
      assertThat(notReady.body()).isEqualTo("not ready\n");
      assertThat(fx.get("/readyz").body()).as("the admin endpoint keeps the reasons").contains("snapshot");
    }
  }

  @Test
  void refusesAddressesOutsideItsAllowFrom() throws Exception {
    Path list = Files.writeString(dir.resolve("allowlist.yaml"), "allow: [a.example.com]\n");
    int port = AdminFixture.freePort();
    try (AdminFixture fx = new AdminFixture()) {
      fx.start(yaml(fx, port, "\"10.0.0.0/8\"", list), Map.of(), name -> null);

      assertThat(send("GET", port, "/readyz").statusCode()).isEqualTo(403);
      assertThat(fx.get("/readyz").statusCode()).as("the admin endpoint has its own allowFrom").isIn(200, 503);
    }
  }

  /**
   * A flood of idle connections (slowloris) holds at most {@code maxConnections}: the next one is
   * answered 503 {@code busy} and closed at once, and a slot freed is usable again; strangers
   * outside {@code allowFrom} hold at most a quarter, so checkers that are allowed keep the rest.
   */
  @Test
  void capsOpenConnectionsAndLeavesStrangersAQuarter() throws Exception {
    Path list = Files.writeString(dir.resolve("allowlist.yaml"), "allow: [a.example.com]\n");
    int port = AdminFixture.freePort();
    try (AdminFixture fx = new AdminFixture()) {
      fx.start(yaml(fx, port, "\"127.0.0.0/8\"", list, "    maxConnections: 4"), Map.of(), name -> null);
      await().atMost(Duration.ofSeconds(15)).until(() -> send("GET", port, "/healthz").statusCode() == 200);
      List<Socket> idle = new ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          idle.add(new Socket(InetAddress.getLoopbackAddress(), port));
        }
        await().atMost(Duration.ofSeconds(10))
            .until(() -> AdminBoundsTest.answerWithoutBody(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .startsWith("HTTP/1.1 503"));
        assertThat(AdminBoundsTest.answerWithoutBody(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
            .as("over the cap").startsWith("HTTP/1.1 503").endsWith("busy\n");
        idle.remove(0).close();
        await().atMost(Duration.ofSeconds(10))
            .until(() -> AdminBoundsTest.answerWithoutBody(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .startsWith("HTTP/1.1 200"));
      } finally {
        for (Socket s : idle) {
          s.close();
        }
      }
    }
    try (AdminFixture fx = new AdminFixture()) {
      fx.start(yaml(fx, port, "\"10.0.0.0/8\"", list, "    maxConnections: 8"), Map.of(), name -> null);
      List<Socket> idle = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) { // a quarter of 8 from outside allowFrom, one per client
          idle.add(AdminBoundsTest.fromOwnAddress(port));
        }
        await().atMost(Duration.ofSeconds(10))
            .until(() -> AdminBoundsTest.answerWithoutBody(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .startsWith("HTTP/1.1 503"));
        idle.remove(0).close();
        await().atMost(Duration.ofSeconds(10))
            .until(() -> AdminBoundsTest.answerWithoutBody(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                .startsWith("HTTP/1.1 403"));
      } finally {
        for (Socket s : idle) {
          s.close();
        }
      }
    }
  }

  @Test
  void defaultsAndUnknownKeys() throws Exception {
    var config = ConfigLoader.loadFromString("listeners:\n  health: {}\n", "t.yaml", Map.of());
    HealthListenerConfig health = config.listeners().health().orElseThrow();
    assertThat(health.binds()).isEqualTo(HealthListenerConfig.DEFAULT_BINDS);
    assertThat(health.allowFrom()).isEqualTo(HealthListenerConfig.EVERYONE);
    assertThat(health.maxConnections()).isEqualTo(HealthListenerConfig.DEFAULT_MAX_CONNECTIONS);
    ConfigException zero =
        Assertions.catchThrowableOfType(
            () -> ConfigLoader.loadFromString("listeners:\n  health:\n    maxConnections: 0\n", "t.yaml", Map.of()),
            ConfigException.class);
    assertThat(zero).isNotNull();
    assertThat(zero.problems().toString()).contains("maxConnections");
    assertThat(ConfigLoader.loadFromString("node: {name: x}\n", "t.yaml", Map.of()).listeners().health()).isEmpty();

    ConfigException bad =
        Assertions.catchThrowableOfType(
            () -> ConfigLoader.loadFromString("listeners:\n  health:\n    syncToken: x\n", "t.yaml", Map.of()),
            ConfigException.class);
    assertThat(bad).isNotNull();
    assertThat(bad.problems().toString()).contains("syncToken");
  }
}
