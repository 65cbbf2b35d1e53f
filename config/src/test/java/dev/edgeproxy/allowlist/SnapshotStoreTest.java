package dev.edgeproxy.allowlist;

import static dev.edgeproxy.allowlist.Lists.route;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SnapshotStoreTest {
  static AllowListSnapshot sample() throws Exception {
    String text = Files.readString(AllowListFileParserTest.SPEC.resolve("allowlist.example.yaml"));
    SourceList git = AllowListFileParser.parse(text, "git", "allowlist.yaml@3f2c1ab");
    SourceList r53 =
        SourceList.allowOnly(
            "route53",
            "2 records",
            List.of(
                new SourceEntry(HostPattern.parse("*.example.org"), new Provenance("route53", "Z0123 \\052.example.org. A")),
                new SourceEntry(HostPattern.parse("grafana.example.com"), new Provenance("route53", "Z0123 grafana.example.com. A"))));
    return AllowListSnapshot.build(List.of(route("config", "forgejo", "git.example.com")), Map.of("git", git, "route53", r53));
  }

  @Test
  void roundTripKeepsListsProvenanceRevisionsAndRoutes(@TempDir Path dir) throws Exception {
    AllowListSnapshot snap = sample();
    Path file = dir.resolve("allowlist.json");
    SnapshotStore.save(snap, file);

    SnapshotStore.LoadResult loaded = SnapshotStore.load(file);
    assertThat(loaded.problem()).isEmpty();
    assertThat(loaded.savedAt()).isPresent();
    assertThat(loaded.savedAt().get()).isBeforeOrEqualTo(Instant.now());
    AllowListSnapshot back = loaded.snapshot().orElseThrow();
    assertThat(back.version()).isEqualTo(snap.version());
    assertThat(back.sources()).isEqualTo(snap.sources());
    assertThat(back.configRoutes()).isEqualTo(snap.configRoutes());
    assertThat(back.entries()).isEqualTo(snap.entries());
    assertThat(back.denied()).isEqualTo(snap.denied());
    assertThat(Files.readString(file)).contains("\"version\" : \"" + snap.version() + "\"");
  }

  @Test
  void overwriteLeavesNoTempFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("allowlist.json");
    SnapshotStore.save(AllowListSnapshot.empty(), file);
    SnapshotStore.save(sample(), file);
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactly(file);
    }
    assertThat(SnapshotStore.load(file).snapshot().orElseThrow().version()).isEqualTo(sample().version());
  }

  @Test
  void failedSaveKeepsOldFileAndLeavesNoTempFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("allowlist.json");
    SnapshotStore.save(sample(), file);
    Path blocked = dir.resolve("blocked");
    Files.createDirectories(blocked.resolve("x"));
    // the target is a non-empty directory: the rename fails
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SnapshotStore.save(sample(), blocked))
        .isInstanceOf(java.io.IOException.class);
    try (var files = Files.list(dir)) {
      assertThat(files).containsExactlyInAnyOrder(file, blocked);
    }
  }

  @Test
  void missingFileIsNotAProblem(@TempDir Path dir) {
    SnapshotStore.LoadResult r = SnapshotStore.load(dir.resolve("none.json"));
    assertThat(r.snapshot()).isEmpty();
    assertThat(r.problem()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "not json",
        "[]",
        "{\"format\": 2}",
        "{\"format\": 1, \"savedAt\": \"yesterday\", \"sources\": {}}",
        "{\"format\": 1, \"savedAt\": \"2026-01-01T00:00:00Z\"}",
        "{\"format\": 1, \"savedAt\": \"2026-01-01T00:00:00Z\", \"sources\": {\"git\": {\"revision\": \"x\", \"allow\": [{\"pattern\": \"a..b\", \"source\": \"git\", \"ref\": \"r\"}]}}}",
        "{\"format\": 1, \"savedAt\": \"2026-01-01T00:00:00Z\", \"sources\": {\"git\": {\"allow\": []}}}",
        "{\"format\": 1, \"savedAt\": \"2026-01-01T00:00:00Z\", \"sources\": {\"git\": {\"revision\": \"x\", \"allow\": {}}}}",
      })
  void corruptFileGivesAReasonNotAnException(String content, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("allowlist.json");
    Files.writeString(file, content);
    SnapshotStore.LoadResult r = SnapshotStore.load(file);
    assertThat(r.snapshot()).isEmpty();
    assertThat(r.problem()).get().asString().startsWith("allow-list state file " + file + " ignored: ");
  }

  @Test
  void directoryInsteadOfFileIsAProblem(@TempDir Path dir) {
    SnapshotStore.LoadResult r = SnapshotStore.load(dir);
    assertThat(r.snapshot()).isEmpty();
    assertThat(r.problem()).get().asString().contains("not a regular file");
  }
}
