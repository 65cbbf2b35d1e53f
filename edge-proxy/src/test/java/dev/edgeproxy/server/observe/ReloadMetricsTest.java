package dev.edgeproxy.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.server.AdminFixture;
import dev.edgeproxy.server.EdgeProxyServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SIGHUP reloads are counted by outcome, with the time of the last good one. */
class ReloadMetricsTest {
  @TempDir Path dir;

  @Test
  void reloadsAreCountedByOutcome() throws Exception {
    int admin = AdminFixture.freePort();
    Path file = dir.resolve("edge-proxy.yaml");
    String good =
        """
        listeners:
          tls:
            bind: "127.0.0.1:%d"
          admin:
            bind: "127.0.0.1:%d"
        backends:
          web:
            tls: ["127.0.0.1:9"]
        defaultBackend: web
        accessLog:
          format: none
        """
            .formatted(AdminFixture.freePort(), admin);
    Files.writeString(file, good);
    try (EdgeProxyServer server = EdgeProxyServer.start(ConfigLoader.load(file), file)) {
      String before = metrics(admin);
      assertThat(value(before, "edge_config_reloads_total{", "outcome=\"applied\"")).isZero();
      assertThat(value(before, "edge_config_last_reload_successful{", "")).isEqualTo(1.0);
      double started = value(before, "edge_config_last_reload_success_timestamp_seconds{", "");
      assertThat(started).isPositive();

      Files.writeString(file, good.replace("tls: [\"127.0.0.1:9\"]", "tls: [\"not an address\"]"));
      assertThat(server.reload()).isFalse();
      String refused = metrics(admin);
      assertThat(value(refused, "edge_config_reloads_total{", "outcome=\"refused\"")).isEqualTo(1.0);
      assertThat(value(refused, "edge_config_last_reload_successful{", "")).isZero();
      assertThat(value(refused, "edge_config_last_reload_success_timestamp_seconds{", "")).isEqualTo(started);

      Files.writeString(file, good);
      assertThat(server.reload()).isTrue();
      String applied = metrics(admin);
      assertThat(value(applied, "edge_config_reloads_total{", "outcome=\"applied\"")).isEqualTo(1.0);
      assertThat(value(applied, "edge_config_last_reload_successful{", "")).isEqualTo(1.0);
      assertThat(value(applied, "edge_config_last_reload_success_timestamp_seconds{", "")).isGreaterThanOrEqualTo(started);
    }
  }

  private static String metrics(int port) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static double value(String text, String prefix, String containing) {
    String line =
        text.lines()
            .filter(l -> l.startsWith(prefix) && l.contains(containing))
            .findFirst()
            .orElseThrow(() -> new AssertionError(prefix + containing + " not in\n" + text));
    return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
  }
}
