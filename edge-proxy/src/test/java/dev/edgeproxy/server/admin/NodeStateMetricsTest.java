package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gauges the alert rules read, on a node whose Git source cannot be reached. */
class NodeStateMetricsTest {
  @TempDir Path dir;

  @Test
  void aFailingSourceShowsHowLongItFailsAndTheSnapshotAges() throws Exception {
    Path list = Files.writeString(dir.resolve("allowlist.yaml"), "allow: [a.example.com]\n");
    try (AdminFixture fx = new AdminFixture()) {
      String sources =
          "file: {path: \"%s\"}\ngit: {url: \"file://%s\", interval: 10m, cacheDir: \"%s\"}"
              .formatted(list, dir.resolve("no-such-repo.git"), dir.resolve("cache"));
      fx.start(fx.config("node-state", sources), Map.of(), name -> null);

      await().atMost(Duration.ofSeconds(30))
          .until(() -> value(fx.get("/metrics").body(), "edge_allowlist_source_failing_seconds{", "source=\"git\"") >= 1);
      String text = fx.get("/metrics").body();
      assertThat(value(text, "edge_allowlist_source_failing_seconds{", "source=\"file\"")).isZero();
      assertThat(value(text, "edge_allowlist_source_interval_seconds{", "source=\"git\"")).isEqualTo(600);
      assertThat(value(text, "edge_allowlist_source_interval_seconds{", "source=\"file\"")).isEqualTo(1);
      // the git source never answered: the snapshot is as old as the process; the file does not age it
      assertThat(value(text, "edge_allowlist_snapshot_age_seconds{", "")).isGreaterThanOrEqualTo(1);
      assertThat(value(text, "edge_connections_limit{", "")).isEqualTo(20000);
    }
  }

  /** -1 while the sample is not there yet. */
  private static double value(String text, String prefix, String containing) {
    return AdminFixture.metric(text, prefix, containing).orElse(-1.0);
  }
}
