package dev.edgeproxy.server.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.EdgeProxyConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutingTest {
  private static EdgeProxyConfig config(String endpoints, int unhealthyAfter) throws Exception {
    return ConfigLoader.loadFromString(
        """
        node: {name: routing-test}
        listeners:
          tls:
            bind: "127.0.0.1:8443"
        backends:
          traefik:
            tls: [%s]
            balance: least_connections
            healthCheck: {unhealthyAfter: %d, healthyAfter: 2}
        defaultBackend: traefik
        allowlist:
          file:
            path: allowlist.yaml
        accessLog:
          format: none
        """
            .formatted(endpoints, unhealthyAfter),
        "edge-proxy.yaml",
        Map.of());
  }

  private static PoolEndpoint endpoint(Routing routing, String label) {
    return routing.pool("traefik").orElseThrow().tlsEndpoints().stream()
        .filter(e -> e.label().equals(label))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aReloadKeepsHealthAndConnectionCountsOfUnchangedEndpoints() throws Exception {
    Routing before = Routing.from(config("\"127.0.0.1:9\", \"127.0.0.2:9\"", 1));
    PoolEndpoint dead = endpoint(before, "127.0.0.1:9");
    PoolEndpoint busy = endpoint(before, "127.0.0.2:9");
    dead.markFailure("connection refused");
    busy.connected();
    busy.connected();
    assertThat(dead.healthy()).isFalse();

    Routing after = Routing.from(config("\"127.0.0.1:9\", \"127.0.0.2:9\", \"127.0.0.3:9\"", 1), before);

    assertThat(endpoint(after, "127.0.0.1:9").healthy()).as("still dead after the reload").isFalse();
    assertThat(after.pool("traefik").orElseThrow().hasHealthyEndpoint()).isTrue();
    assertThat(endpoint(after, "127.0.0.2:9").activeConnections()).isEqualTo(2);
    busy.released(); // a connection opened before the reload ends after it
    assertThat(endpoint(after, "127.0.0.2:9").activeConnections()).isEqualTo(1);
    assertThat(endpoint(after, "127.0.0.3:9").healthy()).as("a new endpoint starts healthy").isTrue();
    assertThat(endpoint(after, "127.0.0.3:9").activeConnections()).isZero();
  }

  @Test
  void anEndpointWhoseHealthRulesChangedStartsAfresh() throws Exception {
    Routing before = Routing.from(config("\"127.0.0.1:9\"", 1));
    endpoint(before, "127.0.0.1:9").markFailure("connection refused");

    Routing after = Routing.from(config("\"127.0.0.1:9\"", 3), before);

    assertThat(endpoint(after, "127.0.0.1:9")).isNotSameAs(endpoint(before, "127.0.0.1:9"));
    assertThat(endpoint(after, "127.0.0.1:9").healthy()).isTrue();
  }
}
