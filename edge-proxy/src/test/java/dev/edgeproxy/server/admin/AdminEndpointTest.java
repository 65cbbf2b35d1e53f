package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Every admin path against a running server with a file and a Git source. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminEndpointTest {
  private static final String TOKEN = "s3cret-sync-token";
  private static final String SECRET = "webhook-secret-42";
  private static final String FILE_LIST =
      """
      allow:
        - a.example.com
        - "*.apps.example.com"
        - x.internal.example.com
      deny:
        - admin.example.com
        - "*.internal.example.com"
      routes:
        - hosts: ["photos.example.com"]
          backend: web
      """;

  @TempDir static Path dir;
  private final Map<String, String> env = new ConcurrentHashMap<>(Map.of("HOOK_SECRET", SECRET));
  private AdminFixture fx;
  private AdminFixture.GitRepo repo;

  @BeforeAll
  void start() throws Exception {
    repo = AdminFixture.GitRepo.create(dir, "allow:\n  - git1.example.com\n");
    Files.writeString(dir.resolve("allowlist.yaml"), FILE_LIST);
    fx = new AdminFixture();
    String yaml =
        """
        node: {name: admin-test, warmUpConnections: 20}
        listeners:
          tls:
            bind: "127.0.0.1:%d"
            clientHelloTimeout: 2s
          admin:
            bind: "127.0.0.1:%d"
            allowFrom: ["127.0.0.0/8", "::1/128"]
            syncToken: ${EDGE_SYNC_TOKEN}
        backends:
          web:
            tls: ["127.0.0.1:%d"]
        defaultBackend: web
        allowlist:
          stateFile: "%s"
          file:
            path: "%s"
          git:
            url: "%s"
            branch: main
            file: allowlist.yaml
            interval: 1h
            webhookSecretEnv: HOOK_SECRET
            cacheDir: "%s"
        accessLog:
          format: none
        """
            .formatted(
                fx.tlsPort,
                fx.adminPort,
                fx.backendPort,
                dir.resolve("state.json"),
                dir.resolve("allowlist.yaml"),
                repo.url(),
                dir.resolve("git-cache"));
    fx.start(yaml, Map.of("EDGE_SYNC_TOKEN", TOKEN), env::get);
    String head = repo.head();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> head.equals(fx.json("/status").at("/sources/git/commit").asText()));
  }

  @AfterAll
  void stop() throws Exception {
    if (fx != null) {
      fx.close();
    }
  }

  @Test
  void healthAndReadiness() throws Exception {
    HttpResponse<String> health = fx.get("/healthz");
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.body()).isEqualTo("ok\n");
    HttpResponse<String> head = fx.method("HEAD", "/healthz");
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(head.headers().firstValue("content-length")).contains("3");
    HttpResponse<String> ready = fx.get("/readyz");
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    assertThat(ready.body()).isEqualTo("ready\n");
  }

  @Test
  void statusHasTheSpecKeys() throws Exception {
    JsonNode s = fx.json("/status");
    assertThat(s.path("node").asText()).isEqualTo("admin-test");
    assertThat(s.path("version").asText()).isNotEmpty();
    assertThat(s.path("uptimeSeconds").isIntegralNumber()).isTrue();
    JsonNode snap = s.path("snapshot");
    assertThat(snap.path("version").asText()).hasSize(12);
    assertThat(snap.path("hosts").asInt()).isGreaterThanOrEqualTo(3);
    assertThat(snap.has("heldBack")).isTrue();
    assertThat(snap.path("heldBack").isNull()).isTrue();

    JsonNode file = s.at("/sources/file");
    assertThat(file.path("lastSuccess").asText()).isNotEmpty();
    assertThat(file.has("lastError")).isTrue();
    assertThat(file.path("lastError").isNull()).isTrue();
    assertThat(file.path("records").asInt()).isEqualTo(3);
    JsonNode git = s.at("/sources/git");
    assertThat(git.path("commit").asText()).matches("[0-9a-f]{40}");
    assertThat(git.path("lastSuccess").asText()).isNotEmpty();

    JsonNode endpoints = s.at("/pools/web");
    assertThat(endpoints.isArray()).isTrue();
    assertThat(endpoints.get(0).path("endpoint").asText()).isEqualTo("127.0.0.1:" + fx.backendPort);
    assertThat(endpoints.get(0).path("healthy").asBoolean()).isTrue();
    assertThat(endpoints.get(0).path("active").isInt()).isTrue();
    assertThat(endpoints.get(0).path("host").asText()).isEqualTo("127.0.0.1");
    assertThat(endpoints.get(0).path("address").asText()).isEqualTo("127.0.0.1");
    assertThat(endpoints.get(0).has("resolveError")).isTrue();
    assertThat(endpoints.get(0).path("resolveError").isNull()).isTrue();
    assertThat(endpoints.get(0).path("resolveFailingSince").isNull()).isTrue();
    assertThat(endpoints.get(0).path("resolveAttempts").asInt(-1)).isZero();
    assertThat(s.at("/connections/active").isIntegralNumber()).isTrue();
  }

  @Test
  void statusAndMetricsShowTheVersionAndTheConfigurationHash() throws Exception {
    JsonNode s = fx.json("/status");
    String hash = s.path("configHash").asText();
    String metrics = fx.get("/metrics").body();

    assertThat(hash).matches("[0-9a-f]{16}");
    assertThat(metrics)
        .containsPattern(
            "edge_build_info\\{config_hash=\"" + hash + "\",node=\"admin-test\",version=\""
                + java.util.regex.Pattern.quote(s.path("version").asText()) + "\"\\} 1(\\.0)?\n");
  }

  @Test
  void drainFailsReadinessWhileTheListenersServeAndCancelRestoresIt() throws Exception {
    assertThat(fx.post("/drain", new byte[0]).statusCode()).as("no token").isEqualTo(401);
    assertThat(fx.get("/readyz").statusCode()).isEqualTo(200);

    HttpResponse<String> drain = fx.post("/drain", new byte[0], "Authorization", "Bearer " + TOKEN);
    try {
      assertThat(drain.statusCode()).as(drain.body()).isEqualTo(200);
      assertThat(AdminFixture.JSON.readTree(drain.body()).path("outOfService").asBoolean()).isTrue();
      HttpResponse<String> ready = fx.get("/readyz");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).contains("taken out of service");
      assertThat(fx.json("/status").path("outOfService").asBoolean()).isTrue();
      assertThat(fx.get("/healthz").statusCode()).as("alive, only not ready").isEqualTo(200);
    } finally {
      HttpResponse<String> cancel =
          fx.post("/drain?cancel=true", new byte[0], "Authorization", "Bearer " + TOKEN);
      assertThat(cancel.statusCode()).isEqualTo(200);
    }
    assertThat(fx.get("/readyz").statusCode()).isEqualTo(200);
    assertThat(fx.json("/status").path("outOfService").asBoolean()).isFalse();
  }

  @Test
  void allowListShowsEntriesWithProvenance() throws Exception {
    JsonNode a = fx.json("/allowlist");
    assertThat(a.path("version").asText()).isEqualTo(fx.json("/status").at("/snapshot/version").asText());
    JsonNode fileEntry = entry(a.path("entries"), "a.example.com");
    assertThat(fileEntry.at("/sources/0/source").asText()).isEqualTo("file");
    assertThat(fileEntry.at("/sources/0/ref").asText()).endsWith("line 2");
    assertThat(entry(a.path("entries"), "*.apps.example.com")).isNotNull();
    JsonNode gitEntry = entry(a.path("entries"), "git1.example.com");
    assertThat(gitEntry.at("/sources/0/source").asText()).isEqualTo("git");
    assertThat(gitEntry.at("/sources/0/ref").asText()).startsWith("allowlist.yaml@");
    JsonNode denied = entry(a.path("denied"), "admin.example.com");
    assertThat(denied.at("/sources/0/source").asText()).isEqualTo("file");
    assertThat(a.has("heldBack")).isTrue();
    assertThat(a.path("heldBack").isNull()).isTrue();
    assertThat(fileEntry.path("denied").asBoolean()).isFalse();
  }

  @Test
  void allowListShowsAnEntryADenyOverridesWithBothProvenances() throws Exception {
    JsonNode a = fx.json("/allowlist");
    JsonNode shadowed = entry(a.path("entries"), "x.internal.example.com");
    assertThat(shadowed).as("allowed in the file, overridden by *.internal.example.com").isNotNull();
    assertThat(shadowed.path("denied").asBoolean()).isTrue();
    assertThat(shadowed.at("/sources/0/source").asText()).isEqualTo("file");
    assertThat(shadowed.at("/sources/0/ref").asText()).endsWith("line 4");
    assertThat(shadowed.at("/deniedBy/pattern").asText()).isEqualTo("*.internal.example.com");
    assertThat(shadowed.at("/deniedBy/sources/0/source").asText()).isEqualTo("file");
    assertThat(shadowed.at("/deniedBy/sources/0/ref").asText()).endsWith("line 7");
  }

  @Test
  void syncNeedsTheBearerToken() throws Exception {
    HttpResponse<String> none = fx.post("/sync", new byte[0]);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("www-authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
    assertThat(none.body()).doesNotContain(TOKEN);
    assertThat(fx.post("/sync", new byte[0], "Authorization", "Bearer wrong").statusCode()).isEqualTo(401);
    assertThat(fx.post("/sync", new byte[0], "Authorization", "Bearer " + TOKEN + "x").statusCode()).isEqualTo(401);
    assertThat(fx.post("/sync", new byte[0], "Authorization", "Basic " + TOKEN).statusCode()).isEqualTo(401);

    HttpResponse<String> ok = fx.post("/sync", new byte[0], "Authorization", "Bearer " + TOKEN);
    assertThat(ok.statusCode()).isEqualTo(202);
    JsonNode body = AdminFixture.JSON.readTree(ok.body());
    assertThat(body.path("status").asText()).isEqualTo("accepted");
    assertThat(body.path("sources").toString()).isEqualTo("[\"file\",\"git\"]");
    assertThat(body.path("forced").asBoolean()).isFalse();

    HttpResponse<String> force =
        fx.post("/sync?force=true", new byte[0], "authorization", "bearer " + TOKEN);
    assertThat(force.statusCode()).isEqualTo(202);
    assertThat(AdminFixture.JSON.readTree(force.body()).path("forced").asBoolean())
        .as("nothing was held back")
        .isFalse();
  }

  @Test
  void webhookSignaturesOfTheThreeForges() throws Exception {
    byte[] body = "{\"ref\":\"refs/heads/main\"}".getBytes(StandardCharsets.UTF_8);
    String good = AdminFixture.hmacHex(SECRET, body);
    String bad = AdminFixture.hmacHex("not-the-secret", body);

    assertThat(fx.post("/hooks/git", body).statusCode()).as("no signature").isEqualTo(401);
    assertThat(fx.post("/hooks/git", body, "X-Hub-Signature-256", "sha256=" + bad).statusCode()).isEqualTo(401);
    assertThat(fx.post("/hooks/git", body, "X-Hub-Signature-256", good).statusCode()).as("no sha256= prefix").isEqualTo(401);
    assertThat(fx.post("/hooks/git", body, "X-Gitea-Signature", bad).statusCode()).isEqualTo(401);
    assertThat(fx.post("/hooks/git", body, "X-Gitlab-Token", "wrong").statusCode()).isEqualTo(401);
    byte[] tampered = "{\"ref\":\"refs/heads/evil\"}".getBytes(StandardCharsets.UTF_8);
    assertThat(fx.post("/hooks/git", tampered, "X-Hub-Signature-256", "sha256=" + good).statusCode()).isEqualTo(401);

    HttpResponse<String> github = fx.post("/hooks/git", body, "X-Hub-Signature-256", "sha256=" + good);
    assertThat(github.statusCode()).as(github.body()).isEqualTo(202);
    assertThat(AdminFixture.JSON.readTree(github.body()).path("forge").asText()).isEqualTo("github");
    HttpResponse<String> gitea = fx.post("/hooks/git", body, "X-Gitea-Signature", good);
    assertThat(gitea.statusCode()).isEqualTo(202);
    assertThat(AdminFixture.JSON.readTree(gitea.body()).path("forge").asText()).isEqualTo("gitea");
    HttpResponse<String> gitlab = fx.post("/hooks/git", body, "X-Gitlab-Token", SECRET);
    assertThat(gitlab.statusCode()).isEqualTo(202);
    assertThat(AdminFixture.JSON.readTree(gitlab.body()).path("forge").asText()).isEqualTo("gitlab");
    assertThat(gitlab.body()).doesNotContain(SECRET);
  }

  @Test
  void aValidWebhookRunsTheGitSourceNow() throws Exception {
    String commit = repo.commitAndPush("allow:\n  - git1.example.com\n  - git2.example.com\n", "add git2");
    byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> r =
        fx.post("/hooks/git", body, "X-Hub-Signature-256", "sha256=" + AdminFixture.hmacHex(SECRET, body));
    assertThat(r.statusCode()).isEqualTo(202);
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonNode e = entry(fx.json("/allowlist").path("entries"), "git2.example.com");
              assertThat(e).isNotNull();
              assertThat(e.at("/sources/0/ref").asText())
                  .isEqualTo("allowlist.yaml@" + commit.substring(0, 7) + " line 3");
            });
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> commit.equals(fx.json("/status").at("/sources/git/commit").asText()));
  }

  @Test
  void webhookWithoutASecretIsRefused() throws Exception {
    byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
    env.remove("HOOK_SECRET");
    try {
      HttpResponse<String> r = fx.post("/hooks/git", body, "X-Gitlab-Token", "");
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(r.body()).contains("HOOK_SECRET").contains("not configured");
    } finally {
      env.put("HOOK_SECRET", SECRET);
    }
  }

  @Test
  void bodiesOverOneMebibyteAreRefused() throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), fx.adminPort)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /hooks/git HTTP/1.1\r\nHost: x\r\nX-Gitlab-Token: t\r\nContent-Length: " + (2 << 20) + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String head = readAll(s.getInputStream());
      assertThat(head).startsWith("HTTP/1.1 413");
    }
  }

  @Test
  void unknownPathsAndWrongMethods() throws Exception {
    assertThat(fx.get("/nope").statusCode()).isEqualTo(404);
    assertThat(fx.get("/").statusCode()).isEqualTo(404);
    HttpResponse<String> getSync = fx.get("/sync");
    assertThat(getSync.statusCode()).isEqualTo(405);
    assertThat(getSync.headers().firstValue("allow")).contains("POST");
    HttpResponse<String> postStatus = fx.post("/status", new byte[0]);
    assertThat(postStatus.statusCode()).isEqualTo(405);
    assertThat(postStatus.headers().firstValue("allow")).contains("GET, HEAD");
    assertThat(fx.method("DELETE", "/healthz").statusCode()).isEqualTo(405);
    assertThat(fx.get("/hooks/git").statusCode()).isEqualTo(405);
  }

  @Test
  void metricsHaveTheSpecNamesAfterTraffic() throws Exception {
    // A connection that is not TLS: counted as refused/closed with reason not_tls.
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), fx.tlsPort)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      s.getOutputStream().flush();
      readAll(s.getInputStream());
    }
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> fx.get("/metrics").body().contains("reason=\"not_tls\""));
    HttpResponse<String> r = fx.get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).contains("text/plain; version=0.0.4; charset=utf-8");
    String text = r.body();
    List<String> missing = new ArrayList<>();
    for (String name :
        List.of(
            "edge_connections_total{",
            "edge_connections_active{",
            "edge_bytes_total{",
            "edge_clienthello_seconds_bucket{",
            "edge_backend_connect_seconds_count{",
            "edge_backend_endpoint_up{",
            "edge_allowlist_hosts{",
            "edge_allowlist_sync_total{",
            "edge_allowlist_last_success_timestamp_seconds{",
            "jvm_memory_used_bytes{",
            "jvm_gc_",
            "jvm_threads_live_threads{",
            "jvm_classes_loaded_classes{",
            "system_cpu_count{",
            "process_uptime_seconds{",
            "netty_allocator_memory_used_bytes{",
            "edge_backend_connect_seconds_bucket{",
            "edge_ready{",
            "edge_allowlist_snapshot{",
            "edge_allowlist_snapshot_age_seconds{",
            "edge_allowlist_source_failing_seconds{",
            "edge_allowlist_source_interval_seconds{",
            "edge_connections_limit{",
            "edge_config_reloads_total{",
            "edge_config_last_reload_success_timestamp_seconds{",
            "edge_config_last_reload_successful{",
            "netty_eventexecutor_tasks_pending{")) {
      if (!text.contains(name)) {
        missing.add(name);
      }
    }
    assertThat(missing).as("metric names missing from /metrics").isEmpty();
    assertThat(text).contains("# TYPE edge_clienthello_seconds histogram");
    assertThat(text).contains("# TYPE edge_backend_connect_seconds histogram");
    assertThat(text).doesNotContain("netty_allocator_memory_used{");
    assertThat(line(text, "edge_ready{")).endsWith(" 1.0");
    assertThat(line(text, "edge_allowlist_snapshot{"))
        .contains("version=\"" + fx.json("/status").at("/snapshot/version").asText() + "\"")
        .endsWith(" 1.0");
    assertThat(line(text, "edge_allowlist_source_interval_seconds{", "source=\"git\"")).endsWith(" 3600.0");
    assertThat(line(text, "edge_allowlist_source_failing_seconds{", "source=\"git\"")).endsWith(" 0.0");
    assertThat(line(text, "edge_connections_total{"))
        .contains("listener=\"tls\"")
        .contains("outcome=")
        .contains("reason=\"not_tls\"");
    assertThat(line(text, "edge_bytes_total{")).contains("direction=");
    assertThat(line(text, "edge_backend_connect_seconds_count{")).contains("pool=\"web\"");
    assertThat(line(text, "edge_backend_endpoint_up{"))
        .contains("endpoint=\"127.0.0.1:" + fx.backendPort + "\"")
        .contains("pool=\"web\"")
        .endsWith(" 1.0");
    assertThat(line(text, "edge_allowlist_sync_total{")).contains("source=").contains("outcome=");
    assertThat(line(text, "edge_allowlist_last_success_timestamp_seconds{")).contains("source=");

    HttpResponse<String> om = fx.get("/metrics", "Accept", "application/openmetrics-text; version=1.0.0");
    assertThat(om.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/openmetrics-text"));
    assertThat(om.body().strip()).endsWith("# EOF");
  }

  private static String line(String text, String prefix) {
    return line(text, prefix, "");
  }

  private static String line(String text, String prefix, String containing) {
    return text.lines().filter(l -> l.startsWith(prefix) && l.contains(containing)).findFirst().orElse("");
  }

  private static JsonNode entry(JsonNode entries, String pattern) {
    for (JsonNode e : entries) {
      if (e.path("pattern").asText().equals(pattern)) {
        return e;
      }
    }
    return null;
  }

  static String readAll(InputStream in) throws java.io.IOException {
    return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
  }
}
