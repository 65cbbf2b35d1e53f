package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeproxy.server.AdminFixture;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** maxShrink: a truncated file is held back, shown, then applied by POST /sync?force=true. */
class AdminHeldBackTest {
  @TempDir Path dir;

  @Test
  void heldBackChangeIsShownThenForced() throws Exception {
    Path list = dir.resolve("allowlist.yaml");
    Files.writeString(list, hosts(20));
    try (AdminFixture fx = new AdminFixture()) {
      fx.start(
          """
          node: {name: held}
          listeners:
            admin:
              bind: "127.0.0.1:%d"
              syncToken: t0ken
          backends:
            web:
              tls: ["127.0.0.1:%d"]
          defaultBackend: web
          allowlist:
            stateFile: "%s"
            maxShrink: 10%%
            file:
              path: "%s"
          accessLog:
            format: none
          """
              .formatted(fx.adminPort, fx.backendPort, dir.resolve("state.json"), list),
          Map.of(),
          name -> null);
      assertThat(fx.json("/status").at("/snapshot/hosts").asInt()).isEqualTo(20);

      // Larger than before, so the poller sees the change even within the same mtime tick.
      Files.writeString(list, hosts(2) + "# most hosts removed on purpose, padding the file\n".repeat(20));
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
          fx.post("/sync?force=true", new byte[0], "Authorization", "Bearer t0ken");
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

  private static String hosts(int n) {
    return "allow:\n"
        + IntStream.rangeClosed(1, n)
            .mapToObj(i -> "  - h" + i + ".example.com\n")
            .collect(Collectors.joining());
  }
}
