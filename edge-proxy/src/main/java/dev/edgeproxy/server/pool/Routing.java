package dev.edgeproxy.server.pool;

import dev.edgeproxy.config.BackendPoolConfig;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.config.Endpoint;
import dev.edgeproxy.sni.ProxyHeaderSpec;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The routing half of a configuration, built once per (re)load and swapped whole: the pools, the
 * default pool, what hello-without-SNI connections get, and whether refusals are enforced.
 */
public record Routing(
    Map<String, BackendPool> pools,
    Optional<String> defaultBackend,
    Optional<String> noSniPool,
    boolean enforce) {

  public Routing {
    pools = Map.copyOf(pools);
  }

  public Optional<BackendPool> pool(String name) {
    return name == null ? Optional.empty() : Optional.ofNullable(pools.get(name));
  }

  public static Routing from(EdgeProxyConfig config) {
    return from(config, null);
  }

  /**
   * As {@link #from(EdgeProxyConfig)}, for a reload: an endpoint that is unchanged (same pool,
   * list, host, port and health thresholds) is the same object as in {@code previous}, so what is
   * known about it survives: its health (a dead endpoint stays out of rotation instead of being
   * tried first again), its resolved address and its open-connection count (least-connections),
   * which connections opened before the reload still give back when they end.
   */
  public static Routing from(EdgeProxyConfig config, Routing previous) {
    Map<String, PoolEndpoint> known = new HashMap<>();
    if (previous != null) {
      previous.pools().values().forEach(p -> {
        p.tlsEndpoints().forEach(e -> known.put(key("tls", e), e));
        p.httpEndpoints().forEach(e -> known.put(key("http", e), e));
      });
    }
    Map<String, BackendPool> pools = new LinkedHashMap<>();
    config.backends().forEach((name, pool) -> pools.put(name, pool(name, pool, known)));
    return new Routing(
        pools,
        config.defaultBackend(),
        config.listeners().tls().flatMap(t -> t.noSni()),
        config.allowlist().enforce());
  }

  private static BackendPool pool(String name, BackendPoolConfig c, Map<String, PoolEndpoint> known) {
    var hc = c.healthCheck();
    List<PoolEndpoint> tls =
        c.tls().stream()
            .map(e -> reuse(known, "tls", endpoint(name, e, hc.unhealthyAfter(), hc.healthyAfter())))
            .toList();
    List<PoolEndpoint> http =
        c.http().stream()
            .map(e -> reuse(known, "http", endpoint(name, e, hc.unhealthyAfter(), hc.healthyAfter())))
            .toList();
    return new BackendPool(
        name,
        tls,
        http,
        proxyHeader(c),
        c.balance() == BackendPoolConfig.Balance.LEAST_CONNECTIONS
            ? BackendPool.Balance.LEAST_CONNECTIONS
            : BackendPool.Balance.ROUND_ROBIN,
        c.connectTimeout());
  }

  private static PoolEndpoint reuse(Map<String, PoolEndpoint> known, String list, PoolEndpoint fresh) {
    PoolEndpoint before = known.get(key(list, fresh));
    return before != null ? before : fresh;
  }

  /** What makes two endpoints the same across a reload. */
  private static String key(String list, PoolEndpoint e) {
    return String.join("\0", e.pool(), list, e.label(), e.thresholds());
  }

  private static PoolEndpoint endpoint(String pool, Endpoint e, int unhealthyAfter, int healthyAfter) {
    return new PoolEndpoint(pool, e.host(), e.port(), unhealthyAfter, healthyAfter);
  }

  static ProxyHeaderSpec proxyHeader(BackendPoolConfig c) {
    ProxyHeaderSpec.Version version =
        switch (c.proxyProtocol()) {
          case V1 -> ProxyHeaderSpec.Version.V1;
          case V2 -> ProxyHeaderSpec.Version.V2;
          case NONE -> ProxyHeaderSpec.Version.NONE;
        };
    boolean v2 = version == ProxyHeaderSpec.Version.V2;
    return new ProxyHeaderSpec(
        version,
        v2 && c.proxyProtocolTlvs().contains(BackendPoolConfig.ProxyTlv.AUTHORITY),
        v2 && c.proxyProtocolTlvs().contains(BackendPoolConfig.ProxyTlv.UNIQUE_ID));
  }
}
