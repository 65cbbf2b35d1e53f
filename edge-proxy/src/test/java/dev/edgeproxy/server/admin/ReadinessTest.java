package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.Provenance;
import dev.edgeproxy.allowlist.SourceList;
import dev.edgeproxy.allowlist.SourceRoute;
import dev.edgeproxy.server.pool.BackendPool;
import dev.edgeproxy.server.pool.PoolEndpoint;
import dev.edgeproxy.server.pool.Routing;
import dev.edgeproxy.sni.ProxyHeaderSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReadinessTest {
  private static BackendPool pool(String name, PoolEndpoint... endpoints) {
    return new BackendPool(
        name,
        List.of(endpoints),
        List.of(),
        new ProxyHeaderSpec(ProxyHeaderSpec.Version.V2, true, true),
        BackendPool.Balance.ROUND_ROBIN,
        Duration.ofSeconds(1));
  }

  @Test
  void onlyPoolsThatTrafficCanReachCount() {
    PoolEndpoint up = new PoolEndpoint("def", "127.0.0.1", 1, 1, 1);
    PoolEndpoint downRouted = new PoolEndpoint("routed", "127.0.0.1", 2, 1, 1);
    PoolEndpoint downUnused = new PoolEndpoint("unused", "127.0.0.1", 3, 1, 1);
    PoolEndpoint downNoSni = new PoolEndpoint("nosni", "127.0.0.1", 4, 1, 1);
    downRouted.markFailure("refused");
    downUnused.markFailure("refused");
    downNoSni.markFailure("refused");
    Routing routing =
        new Routing(
            Map.of(
                "def", pool("def", up),
                "routed", pool("routed", downRouted),
                "unused", pool("unused", downUnused),
                "nosni", pool("nosni", downNoSni)),
            Optional.of("def"),
            Optional.of("nosni"),
            true);
    SourceRoute fileRoute =
        new SourceRoute(
            List.of(HostPattern.parse("a.example.com")), "routed", new Provenance("file", "f line 1"));
    SourceRoute ghost =
        new SourceRoute(
            List.of(HostPattern.parse("b.example.com")), "no-such-pool", new Provenance("file", "f line 2"));
    AllowListSnapshot snap =
        AllowListSnapshot.build(
            List.of(),
            Map.of("file", new SourceList("file", "r", List.of(), List.of(), List.of(fileRoute, ghost))));

    assertThat(Readiness.reasons(List.of("shutting down"), routing, snap))
        .containsExactly(
            "shutting down",
            "pool nosni has no healthy endpoint",
            "pool routed has no healthy endpoint");

    downRouted.markSuccess();
    downNoSni.markSuccess();
    assertThat(Readiness.reasons(List.of(), routing, snap)).isEmpty();
  }
}
