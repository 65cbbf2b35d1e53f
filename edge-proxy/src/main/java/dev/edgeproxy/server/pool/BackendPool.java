package dev.edgeproxy.server.pool;

import dev.edgeproxy.sni.ProxyHeaderSpec;
import dev.edgeproxy.sni.Upstream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A named group of equivalent backend endpoints (the cluster's ingress). Hands out, per connection,
 * the order in which to try endpoints: healthy ones first, by the balancing rule, then the unhealthy
 * ones, because a pool whose endpoints all look down must still try them before refusing.
 */
public final class BackendPool {
  public enum Balance {
    ROUND_ROBIN,
    LEAST_CONNECTIONS
  }

  private final String name;
  private final List<PoolEndpoint> tls;
  private final List<PoolEndpoint> http;
  private final ProxyHeaderSpec proxyHeader;
  private final Balance balance;
  private final Duration connectTimeout;
  private final AtomicInteger nextTls = new AtomicInteger();
  private final AtomicInteger nextHttp = new AtomicInteger();

  public BackendPool(
      String name,
      List<PoolEndpoint> tls,
      List<PoolEndpoint> http,
      ProxyHeaderSpec proxyHeader,
      Balance balance,
      Duration connectTimeout) {
    this.name = name;
    this.tls = List.copyOf(tls);
    this.http = List.copyOf(http);
    this.proxyHeader = proxyHeader;
    this.balance = balance;
    this.connectTimeout = connectTimeout;
  }

  public String name() {
    return name;
  }

  public ProxyHeaderSpec proxyHeader() {
    return proxyHeader;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public List<PoolEndpoint> tlsEndpoints() {
    return tls;
  }

  public List<PoolEndpoint> httpEndpoints() {
    return http;
  }

  public List<PoolEndpoint> allEndpoints() {
    List<PoolEndpoint> all = new ArrayList<>(tls);
    all.addAll(http);
    return all;
  }

  public boolean hasHealthyEndpoint() {
    return tls.stream().anyMatch(PoolEndpoint::healthy)
        || http.stream().anyMatch(PoolEndpoint::healthy);
  }

  public List<Upstream> tlsCandidates() {
    return order(tls, nextTls);
  }

  public List<Upstream> httpCandidates() {
    return order(http, nextHttp);
  }

  private List<Upstream> order(List<PoolEndpoint> endpoints, AtomicInteger next) {
    int n = endpoints.size();
    if (n == 0) {
      return List.of();
    }
    List<Upstream> healthy = new ArrayList<>(n);
    List<Upstream> unhealthy = new ArrayList<>(0);
    // Rotating the start also spreads least-connections ties over the endpoints.
    int start = Math.floorMod(next.getAndIncrement(), n);
    for (int i = 0; i < n; i++) {
      PoolEndpoint e = endpoints.get((start + i) % n);
      if (e.unresolved()) {
        // Connecting would make Netty resolve the name on the event loop, blocking it; the
        // health checker keeps trying to resolve it on its own thread.
        continue;
      }
      (e.healthy() ? healthy : unhealthy).add(e);
    }
    if (balance == Balance.LEAST_CONNECTIONS && healthy.size() > 1) {
      // Stable sort keeps the original order among equally loaded endpoints.
      healthy.sort(Comparator.comparingInt(u -> ((PoolEndpoint) u).activeConnections()));
    }
    healthy.addAll(unhealthy);
    return healthy;
  }
}
