package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * maxShrink: a truncated file is held back, shown (/status, /allowlist, metrics), then applied by
 * POST /sync?force=true.
 */
class AdminHeldBackTest {
  @TempDir Path dir;

  @Test
  void heldBackChangeIsShownThenForced() throws Exception {
    Path list = dir.resolve("allowlist.yaml");
    Files.writeString(list, AdminFixture.hosts(20));
    try (AdminFixture fx = new AdminFixture()) {
      fx.start(
          fx.config(
              "held",
              "stateFile: \"%s\"\nmaxShrink: 10%%\nfile: {path: \"%s\"}".formatted(dir.resolve("state.json"), list)),
          Map.of(),
          name -> null);
      assertThat(fx.json("/status").at("/snapshot/hosts").asInt()).isEqualTo(20);

      // Larger than before, so the poller sees the change even within the same mtime tick.
      Files.writeString(list, AdminFixture.hosts(2) + "# most hosts removed on purpose, padding the file\n".repeat(20));
      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> !fx.json("/status").at("/snapshot/heldBack").isNull());
      JsonNode status = fx.json("/status");
      assertThat(status.at("/snapshot/heldBack/removed").asInt()).isEqualTo(18);
      assertThat(status.at("/snapshot/heldBack/added").asInt()).isZero();
      assertThat(status.at("/snapshot/hosts").asInt()).as("still serving the old list").isEqualTo(20);

      JsonNode allow = fx.json("/allowlist");
      assertThat(allow.path("entries").size()).isEqualTo(20);
      JsonNode removed = allow.at("/heldBack/removed");
      assertThat(removed.size()).isEqualTo(18);
      assertThat(removed.get(0).at("/sources/0/source").asText()).isEqualTo("file");
      assertThat(allow.at("/heldBack/added").size()).isZero();

      assertThat(fx.post("/sync?force=true", new byte[0]).statusCode()).isEqualTo(401);
      HttpResponse<String> forced =
          fx.post("/sync?force=true", new byte[0], "Authorization", "Bearer " + AdminFixture.SYNC_TOKEN);
      assertThat(forced.statusCode()).isEqualTo(202);
      assertThat(AdminFixture.JSON.readTree(forced.body()).path("forced").asBoolean()).isTrue();

      JsonNode after = fx.json("/allowlist");
      assertThat(after.path("entries").size()).isEqualTo(2);
      assertThat(after.path("heldBack").isNull()).isTrue();
      JsonNode statusAfter = fx.json("/status");
      assertThat(statusAfter.at("/snapshot/hosts").asInt()).isEqualTo(2);
      assertThat(statusAfter.at("/snapshot/heldBack").isNull()).isTrue();
      assertThat(statusAfter.at("/snapshot/version").asText()).isEqualTo(after.path("version").asText());
    }
  }

  @Test
  void aHeldBackChangeIsItsOwnStateInStatusAndMetrics() throws Exception {
    Path list = dir.resolve("allowlist.yaml");
    Files.writeString(list, AdminFixture.hosts(10));
    Path configFile = dir.resolve("edge-proxy.yaml");
    try (AdminFixture fx = new AdminFixture()) {
      fx.startFromFile(configFile, fx.config("held", "maxShrink: 10%\nfile: {path: \"" + list + "\"}"));
      String success = fx.json("/status").at("/sources/file/lastSuccess").asText();
      assertThat(fx.json("/status").at("/sources/file/state").asText()).isEqualTo("ok");

      Files.writeString(list, "allow: [h1.example.com]\n# padding so that the size changes too\n");
      await().atMost(Duration.ofSeconds(15)).until(() -> fx.json("/status").at("/sources/file/state").asText().equals("held_back"));
      JsonNode file = fx.json("/status").at("/sources/file");
      assertThat(file.path("lastSuccess").asText()).as("a held-back answer is not a success").isEqualTo(success);
      assertThat(file.path("lastError").isNull()).isTrue();
      assertThat(file.path("heldBackSince").isNull()).isFalse();
      String metrics = fx.get("/metrics").body();
      assertThat(metrics).contains("edge_allowlist_held_back{node=\"held\",source=\"file\"} 1.0");
      assertThat(metrics).contains("edge_allowlist_sync_total{node=\"held\",outcome=\"held_back\",source=\"file\"}");

      HttpResponse<String> forced = fx.post("/sync?force=true", new byte[0], "Authorization", "Bearer " + AdminFixture.SYNC_TOKEN);
      assertThat(forced.statusCode()).isEqualTo(202);
      JsonNode after = fx.json("/status").at("/sources/file");
      assertThat(after.path("state").asText()).isEqualTo("ok");
      assertThat(after.path("lastSuccess").asText()).isNotEqualTo(success);
      assertThat(fx.get("/metrics").body()).contains("edge_allowlist_held_back{node=\"held\",source=\"file\"} 0.0");
    }
  }
}
