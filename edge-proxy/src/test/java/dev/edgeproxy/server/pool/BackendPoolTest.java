package dev.edgeproxy.server.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.sni.ProxyHeaderSpec;
import dev.edgeproxy.sni.Upstream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BackendPoolTest {
  private static PoolEndpoint endpoint(String ip) {
    PoolEndpoint e = new PoolEndpoint("p", ip, 443, 2, 2);
    e.resolve();
    return e;
  }

  private static BackendPool pool(BackendPool.Balance balance, PoolEndpoint... endpoints) {
    return new BackendPool(
        "p", List.of(endpoints), List.of(), ProxyHeaderSpec.NONE, balance, Duration.ofSeconds(1));
  }

  private static List<String> order(BackendPool pool) {
    return pool.tlsCandidates().stream().map(Upstream::label).toList();
  }

  @Test
  void roundRobinRotatesTheFirstEndpointAndKeepsTheOthersAsFallbacks() {
    BackendPool pool = pool(BackendPool.Balance.ROUND_ROBIN, endpoint("127.0.0.1"), endpoint("127.0.0.2"), endpoint("127.0.0.3"));
    assertThat(order(pool)).containsExactly("127.0.0.1:443", "127.0.0.2:443", "127.0.0.3:443");
    assertThat(order(pool)).containsExactly("127.0.0.2:443", "127.0.0.3:443", "127.0.0.1:443");
    assertThat(order(pool)).containsExactly("127.0.0.3:443", "127.0.0.1:443", "127.0.0.2:443");
  }

  @Test
  void unhealthyEndpointsComeLastButAreStillTried() {
    PoolEndpoint a = endpoint("127.0.0.1");
    PoolEndpoint b = endpoint("127.0.0.2");
    BackendPool pool = pool(BackendPool.Balance.ROUND_ROBIN, a, b);
    a.connectFailed(new java.net.ConnectException("refused"));
    assertThat(a.healthy()).as("one failure is not enough with unhealthyAfter 2").isTrue();
    a.connectFailed(new java.net.ConnectException("refused"));
    assertThat(a.healthy()).isFalse();
    assertThat(order(pool)).containsExactly("127.0.0.2:443", "127.0.0.1:443");
    assertThat(order(pool)).containsExactly("127.0.0.2:443", "127.0.0.1:443");
    assertThat(pool.hasHealthyEndpoint()).isTrue();
    b.markFailure("x");
    b.markFailure("x");
    assertThat(pool.hasHealthyEndpoint()).isFalse();
    assertThat(order(pool)).hasSize(2);
    a.markSuccess();
    assertThat(a.healthy()).as("healthyAfter 2").isFalse();
    a.markSuccess();
    assertThat(a.healthy()).isTrue();
  }

  @Test
  void leastConnectionsPrefersTheLeastLoadedHealthyEndpoint() {
    PoolEndpoint a = endpoint("127.0.0.1");
    PoolEndpoint b = endpoint("127.0.0.2");
    BackendPool pool = pool(BackendPool.Balance.LEAST_CONNECTIONS, a, b);
    a.connected();
    a.connected();
    b.connected();
    assertThat(order(pool).get(0)).isEqualTo("127.0.0.2:443");
    b.connected();
    b.connected();
    assertThat(order(pool).get(0)).isEqualTo("127.0.0.1:443");
    b.released();
    b.released();
    b.released();
    assertThat(b.activeConnections()).isZero();
    assertThat(order(pool).get(0)).isEqualTo("127.0.0.2:443");
  }

  @Test
  void anEndpointWhoseNameDoesNotResolveIsNotHandedOut() {
    PoolEndpoint unresolvable = new PoolEndpoint("p", "no-such-host.invalid", 443, 3, 2);
    unresolvable.resolve();
    BackendPool pool = pool(BackendPool.Balance.ROUND_ROBIN, unresolvable, endpoint("127.0.0.1"));
    assertThat(order(pool)).containsExactly("127.0.0.1:443");
  }

  @Test
  void ipv6EndpointsAreLabelledWithBrackets() {
    assertThat(endpoint("::1").label()).isEqualTo("[::1]:443");
  }
}
