package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGHUP reloads are counted by outcome, with the time of the last good one. */
class ReloadMetricsTest {
  @TempDir Path dir;

  @Test
  void reloadsAreCountedByOutcome() throws Exception {
    Path file = dir.resolve("edge-proxy.yaml");
    try (AdminFixture fx = new AdminFixture()) {
      String good = fx.config("reload-metrics", "maxShrink: 100%");
      fx.startFromFile(file, good);
      String before = fx.get("/metrics").body();
      assertThat(value(before, "edge_config_reloads_total{", "outcome=\"applied\"")).isZero();
      assertThat(value(before, "edge_config_last_reload_successful{", "")).isEqualTo(1.0);
      double started = value(before, "edge_config_last_reload_success_timestamp_seconds{", "");
      assertThat(started).isPositive();

      Files.writeString(file, good.replace("defaultBackend: web", "defaultBackend: no-such-pool"));
      assertThat(fx.server().reload()).isFalse();
      String refused = fx.get("/metrics").body();
      assertThat(value(refused, "edge_config_reloads_total{", "outcome=\"refused\"")).isEqualTo(1.0);
      assertThat(value(refused, "edge_config_last_reload_successful{", "")).isZero();
      assertThat(value(refused, "edge_config_last_reload_success_timestamp_seconds{", "")).isEqualTo(started);

      Files.writeString(file, good);
      assertThat(fx.server().reload()).isTrue();
      String applied = fx.get("/metrics").body();
      assertThat(value(applied, "edge_config_reloads_total{", "outcome=\"applied\"")).isEqualTo(1.0);
      assertThat(value(applied, "edge_config_last_reload_successful{", "")).isEqualTo(1.0);
      assertThat(value(applied, "edge_config_last_reload_success_timestamp_seconds{", "")).isGreaterThanOrEqualTo(started);
    }
  }

  private static double value(String text, String prefix, String containing) {
    return AdminFixture.metric(text, prefix, containing)
        .orElseThrow(() -> new AssertionError(prefix + containing + " not in\n" + text));
  }
}
