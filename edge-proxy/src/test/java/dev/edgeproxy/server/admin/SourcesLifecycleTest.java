package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sources over a node's life: reloads that change or remove them (the file watch follows),
 * a failing state file, readiness with a bound (held-back changes: {@link AdminHeldBackTest}).
 */
class SourcesLifecycleTest {
  @TempDir Path dir;

  private static List<String> patterns(AdminFixture fx) throws Exception {
    List<String> out = new ArrayList<>();
    fx.json("/allowlist").path("entries").forEach(e -> out.add(e.path("pattern").asText()));
    return out;
  }

  @Test
  void aReloadThatMovesRemovesAndRestoresTheFileKeepsTheWatchOnTheFileItReads() throws Exception {
    Path a = dir.resolve("a.yaml");
    Path b = dir.resolve("b.yaml");
    Files.writeString(a, "allow: [a1.example.com]\n");
    Files.writeString(b, "allow: [b1.example.com]\n");
    Path configFile = dir.resolve("edge-proxy.yaml");
    try (AdminFixture fx = new AdminFixture()) {
      String withA = fx.config("lifecycle", "maxShrink: 100%\nfile: {path: \"" + a + "\"}");
      String withB = fx.config("lifecycle", "maxShrink: 100%\nfile: {path: \"" + b + "\"}");
      String without = fx.config("lifecycle", "maxShrink: 100%");
      fx.startFromFile(configFile, withA);
      assertThat(patterns(fx)).containsExactly("a1.example.com");

      // path A -> B: the watch and the reader both move to B
      Files.writeString(configFile, withB);
      assertThat(fx.server().reload()).isTrue();
      await().atMost(Duration.ofSeconds(15)).until(() -> patterns(fx).equals(List.of("b1.example.com")));
      JsonNode status = fx.json("/status");
      assertThat(status.at("/lastSourceReload/changes/file").asText()).isEqualTo("changed");
      Files.writeString(b, "allow: [b1.example.com, b2.example.com]\n");
      await().atMost(Duration.ofSeconds(15)).until(() -> patterns(fx).contains("b2.example.com"));

      // removed: its hosts go (a normal change); restored: edits are noticed again
      Files.writeString(configFile, without);
      assertThat(fx.server().reload()).isTrue();
      await().atMost(Duration.ofSeconds(15)).until(() -> patterns(fx).isEmpty());
      assertThat(fx.json("/status").at("/lastSourceReload/changes/file").asText()).isEqualTo("removed");

      Files.writeString(configFile, withB);
      assertThat(fx.server().reload()).isTrue();
      await().atMost(Duration.ofSeconds(15)).until(() -> patterns(fx).size() == 2);
      Files.writeString(b, "allow: [b1.example.com, b2.example.com, b3.example.com]\n");
      await().atMost(Duration.ofSeconds(15)).until(() -> patterns(fx).contains("b3.example.com"));
    }
  }

  @Test
  void aStateFileThatCannotBeSavedIsShownAndRetriedUntilSaved() throws Exception {
    Path list = dir.resolve("allowlist.yaml");
    Files.writeString(list, "allow: [a.example.com]\n");
    Path blocker = dir.resolve("state"); // a file where the state folder should be: saves fail
    Files.writeString(blocker, "not a folder");
    Path state = blocker.resolve("allowlist-state.json");
    Path configFile = dir.resolve("edge-proxy.yaml");
    try (AdminFixture fx = new AdminFixture()) {
      fx.startFromFile(configFile, fx.config("lifecycle", "stateFile: \"" + state + "\"\nfile: {path: \"" + list + "\"}"));
      JsonNode failure = fx.json("/status").at("/snapshot/saveFailure");
      assertThat(failure.isObject()).as("save failure shown in /status").isTrue();
      assertThat(failure.path("unsavedVersion").asText()).isEqualTo(fx.json("/status").at("/snapshot/version").asText());
      assertThat(fx.get("/metrics").body()).contains("edge_allowlist_state_save_failing{node=\"lifecycle\"} 1.0");
      HttpResponse<String> ready = fx.get("/readyz");
      assertThat(ready.statusCode()).as("serving goes on").isEqualTo(200);
      assertThat(ready.body()).contains("warning: allow-list state file not saved since");

      Files.delete(blocker);
      await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(state));
      await().atMost(Duration.ofSeconds(5)).until(() -> fx.json("/status").at("/snapshot/saveFailure").isNull());
      assertThat(fx.get("/metrics").body()).contains("edge_allowlist_state_save_failing{node=\"lifecycle\"} 0.0");
      assertThat(fx.get("/readyz").body()).isEqualTo("ready\n");
    }
  }

  @Test
  void readinessWaitsForAGoodAnswerFromEverySourceUpToItsBound() throws Exception {
    Path list = dir.resolve("allowlist.yaml");
    Files.writeString(list, "allow: [a.example.com]\n");
    Path configFile = dir.resolve("edge-proxy.yaml");
    try (AdminFixture fx = new AdminFixture()) {
      String git =
          "git: {url: \"" + dir.resolve("no-such-repo.git").toUri() + "\", cacheDir: \"" + dir.resolve("cache") + "\"}";
      fx.startFromFile(
          configFile,
          fx.config("lifecycle", "readinessTimeout: 10s\nfile: {path: \"" + list + "\"}\n" + git));
      await().atMost(Duration.ofSeconds(15)).until(() -> !fx.json("/status").at("/sources/git/lastError").isNull());
      HttpResponse<String> waiting = fx.get("/readyz");
      assertThat(waiting.statusCode()).as("a failed first attempt is not an answer").isEqualTo(503);
      assertThat(waiting.body()).contains("waiting for a good answer from allow-list source(s) [git]");
      await().atMost(Duration.ofSeconds(30)).until(() -> fx.get("/readyz").statusCode() == 200);
      assertThat(patterns(fx)).containsExactly("a.example.com");
    }
  }

  @Test
  void aSourceNoLongerConfiguredLosesItsHostsAtStart() throws Exception {
    Path list = dir.resolve("allowlist.yaml");
    Files.writeString(list, "allow: [kept.example.com]\n");
    Path old = dir.resolve("old.yaml");
    Files.writeString(old, "allow: [stale.example.com]\n");
    Path state = dir.resolve("state.json");
    // a state file saved while another (file) source fed the list, under the name route53
    dev.edgeproxy.allowlist.AllowListRegistry before =
        new dev.edgeproxy.allowlist.AllowListRegistry(List.of(), 1.0, java.util.Optional.of(state));
    before.update(new dev.edgeproxy.allowlist.FileAllowListSource(list).fetch());
    dev.edgeproxy.allowlist.SourceList r53 = new dev.edgeproxy.allowlist.FileAllowListSource(old).fetch();
    before.update(new dev.edgeproxy.allowlist.SourceList("route53", "r1", r53.allow(), List.of(), List.of()));
    Path configFile = dir.resolve("edge-proxy.yaml");
    try (AdminFixture fx = new AdminFixture()) {
      fx.startFromFile(configFile, fx.config("lifecycle", "stateFile: \"" + state + "\"\nmaxShrink: 50%\nfile: {path: \"" + list + "\"}"));
      assertThat(patterns(fx)).containsExactly("kept.example.com");
    }
  }

  @Test
  void aReloadThatChangesTheGitSourceRebuildsItWithoutAGap() throws Exception {
    AdminFixture.GitRepo first = AdminFixture.GitRepo.create(Files.createDirectory(dir.resolve("one")), "allow: [one.example.com]\n");
    AdminFixture.GitRepo second = AdminFixture.GitRepo.create(Files.createDirectory(dir.resolve("two")), "allow: [two.example.com]\n");
    Path configFile = dir.resolve("edge-proxy.yaml");
    try (AdminFixture fx = new AdminFixture()) {
      String git = "maxShrink: 100%%\ngit:\n  url: \"%s\"\n  interval: 1h\n  cacheDir: \"%s\"";
      fx.startFromFile(configFile, fx.config("lifecycle", git.formatted(first.url(), dir.resolve("cache-one"))));
      await().atMost(Duration.ofSeconds(30)).until(() -> patterns(fx).equals(List.of("one.example.com")));

      // the same settings: nothing rebuilt
      assertThat(fx.server().reload()).isTrue();
      assertThat(fx.json("/status").at("/lastSourceReload").isNull()).isTrue();

      Files.writeString(configFile, fx.config("lifecycle", git.formatted(second.url(), dir.resolve("cache-two"))));
      assertThat(fx.server().reload()).isTrue();
      assertThat(fx.json("/status").at("/lastSourceReload/changes/git").asText()).isEqualTo("changed");
      // until the new source answers, the old list serves; then the new one replaces it
      await().atMost(Duration.ofSeconds(30)).until(() -> patterns(fx).equals(List.of("two.example.com")));
      assertThat(fx.json("/status").at("/sources/git/commit").asText()).isEqualTo(second.head());
    }
  }
}
