package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.config.ConfigException;
import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.HealthListenerConfig;
import dev.edgeproxy.server.AdminFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code listeners.health}: readiness for outside checkers, nothing else, only to its allowFrom. */
class HealthListenerTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  @TempDir Path dir;

  private String yaml(AdminFixture fx, int healthPort, String allowFrom, Path allowList) {
    return """
        listeners:
          tls:
            bind: "127.0.0.1:%d"
          admin:
            bind: "127.0.0.1:%d"
          health:
            bind: "127.0.0.1:%d"
            allowFrom: [%s]
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
        .formatted(fx.tlsPort, fx.adminPort, healthPort, allowFrom, fx.backendPort, allowList);
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

  @Test
  void defaultsAndUnknownKeys() throws Exception {
    var config = ConfigLoader.loadFromString("listeners:\n  health: {}\n", "t.yaml", Map.of());
    HealthListenerConfig health = config.listeners().health().orElseThrow();
    assertThat(health.binds()).isEqualTo(HealthListenerConfig.DEFAULT_BINDS);
    assertThat(health.allowFrom()).isEqualTo(HealthListenerConfig.EVERYONE);
    assertThat(ConfigLoader.loadFromString("node: {name: x}\n", "t.yaml", Map.of()).listeners().health()).isEmpty();

    ConfigException bad =
        Assertions.catchThrowableOfType(
            () -> ConfigLoader.loadFromString("listeners:\n  health:\n    syncToken: x\n", "t.yaml", Map.of()),
            ConfigException.class);
    assertThat(bad).isNotNull();
    assertThat(bad.problems().toString()).contains("syncToken");
  }
}
