package dev.edgeproxy.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.EdgeProxyConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The configuration hash a fleet check compares, and its {@code edge_build_info} series. */
class BuildInfoTest {
  private static EdgeProxyConfig load(String node, String adminBind, String maxConnections, String token)
      throws Exception {
    String yaml =
        """
        node: {name: %s}
        listeners:
          tls: {bind: "127.0.0.1:18443"}
          admin: {bind: "%s", syncToken: "${TOKEN}"}
        backends:
          web: {tls: ["127.0.0.1:9"]}
        defaultBackend: web
        allowlist:
          stateFile: /var/lib/edge-proxy/allowlist.json
        limits: {maxConnections: %s}
        """
            .formatted(node, adminBind, maxConnections);
    return ConfigLoader.loadFromString(yaml, "test.yaml", Map.of("TOKEN", token));
  }

  @Test
  void nodesThatDifferOnlyInNameAndAdminAddressHaveTheSameHash() throws Exception {
    String one = BuildInfo.hash(load("edge-1", "127.0.0.1:9901", "1000", "t"));
    String two = BuildInfo.hash(load("edge-2", "100.64.0.5:9901", "1000", "t"));

    assertThat(one).matches("[0-9a-f]{16}").isEqualTo(two);
    assertThat(BuildInfo.hash(load("edge-1", "127.0.0.1:9901", "1000", "t"))).as("stable").isEqualTo(one);
  }

  @Test
  void aSettingChangesTheHashButASecretIsNotPartOfIt() throws Exception {
    String base = BuildInfo.hash(load("edge-1", "127.0.0.1:9901", "1000", "t"));

    assertThat(BuildInfo.hash(load("edge-1", "127.0.0.1:9901", "2000", "t"))).isNotEqualTo(base);
    assertThat(BuildInfo.hash(load("edge-1", "127.0.0.1:9901", "1000", "other-token"))).isEqualTo(base);
  }

  @Test
  void theBuildInfoSeriesFollowsTheConfigurationInForce() throws Exception {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    BuildInfo info = new BuildInfo(meters, "9.9.9");
    EdgeProxyConfig first = load("edge-1", "127.0.0.1:9901", "1000", "t");
    EdgeProxyConfig second = load("edge-1", "127.0.0.1:9901", "2000", "t");

    info.configLoaded(first);
    info.configLoaded(second);

    String scrape = meters.scrape();
    assertThat(info.configHash()).isEqualTo(BuildInfo.hash(second));
    assertThat(scrape)
        .contains("edge_build_info{config_hash=\"" + BuildInfo.hash(second) + "\",version=\"9.9.9\"} 1\n")
        .doesNotContain(BuildInfo.hash(first));
  }
}
