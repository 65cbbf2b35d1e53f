package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** allowFrom refuses every path but the webhook; a setup without token or git source says so. */
class AdminAccessTest {
  @TempDir Path dir;

  @Test
  void allowFromRefusesEverythingButTheWebhook() throws Exception {
    AdminFixture.GitRepo repo = AdminFixture.GitRepo.create(dir, "allow:\n  - g.example.com\n");
    try (AdminFixture fx = new AdminFixture()) {
      fx.start(
          """
          listeners:
            admin:
              bind: "127.0.0.1:%d"
              allowFrom: ["10.0.0.0/8"]
              syncToken: tok
          allowlist:
            git:
              url: "%s"
              interval: 1h
              webhookSecretEnv: HOOK
              cacheDir: "%s"
          accessLog:
            format: none
          """
              .formatted(fx.adminPort, repo.url(), dir.resolve("cache")),
          Map.of(),
          Map.of("HOOK", "sekret")::get);
      for (String path : List.of("/healthz", "/readyz", "/metrics", "/status", "/allowlist", "/nope")) {
        var r = fx.get(path);
        assertThat(r.statusCode()).as(path).isEqualTo(403);
        assertThat(r.body()).as(path).contains("allowFrom");
      }
      assertThat(fx.post("/sync", new byte[0], "Authorization", "Bearer tok").statusCode()).isEqualTo(403);
      byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
      assertThat(fx.post("/hooks/git", body, "X-Gitea-Signature", AdminFixture.hmacHex("x", body)).statusCode())
          .isEqualTo(401);
      assertThat(fx.post("/hooks/git", body, "X-Gitea-Signature", AdminFixture.hmacHex("sekret", body)).statusCode())
          .isEqualTo(202);
    }
  }

  @Test
  void withoutTokenSyncIsDisabledAndWithoutGitTheWebhookIsNotFound() throws Exception {
    Path list = dir.resolve("allowlist.yaml");
    Files.writeString(list, "allow:\n  - only.example.com\n");
    try (AdminFixture fx = new AdminFixture()) {
      fx.start(
          """
          listeners:
            admin:
              bind: "127.0.0.1:%d"
          allowlist:
            file:
              path: "%s"
          accessLog:
            format: none
          """
              .formatted(fx.adminPort, list),
          Map.of(),
          name -> null);
      var sync = fx.post("/sync", new byte[0], "Authorization", "Bearer anything");
      assertThat(sync.statusCode()).isEqualTo(403);
      assertThat(sync.body()).contains("syncToken is not set");
      // without a git source a webhook is refused as unsigned, not as an unknown path (issue 12)
      var hook = fx.post("/hooks/git", new byte[0], "X-Gitlab-Token", "x");
      assertThat(hook.statusCode()).isEqualTo(401);
      assertThat(hook.body()).doesNotContain("git source");
      assertThat(fx.post("/hooks/git", "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8)).statusCode())
          .as("no signature header at all").isEqualTo(401);
      assertThat(fx.get("/readyz").statusCode()).isEqualTo(200);
      var status = fx.json("/status");
      assertThat(status.at("/sources/file/records").asInt()).isEqualTo(1);
      assertThat(status.path("pools").size()).isZero();
    }
  }
}
