package dev.edgeproxy.server.warmup;

import dev.edgeproxy.server.pool.BackendPool;
import dev.edgeproxy.server.pool.PoolEndpoint;
import dev.edgeproxy.sni.ProxyHeaderSpec;
import dev.edgeproxy.sni.Reason;
import dev.edgeproxy.sni.RouteDecision;
import dev.edgeproxy.sni.RouteRequest;
import dev.edgeproxy.sni.RouteResolver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

/**
 * The warm-up listener's routing: the reserved name goes to the in-process sink and nowhere else;
 * every other name is refused. The public resolver is asked too and its answer thrown away, so the
 * name checks it runs for every real connection are compiled as well; it has no side effects that
 * matter (at most a round-robin position moves). The sink is a pool of the same classes as the
 * configured ones, so the JIT sees the types the real connections bring (a warm-up through other
 * types leaves code that is thrown away at the first real connection).
 *
 * <p>The public listeners never see this class: for them the reserved name is a name like any other,
 * refused unless an allow-list lists it, and then routed to that allow-list's backend, never here.
 */
final class WarmUpRoutes implements RouteResolver {
  /** In the {@code .invalid} top-level domain (RFC 2606): no public name can ever collide with it. */
  static final String RESERVED_NAME = "warm-up.edge-proxy.invalid";

  static final String POOL = "warm-up";
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);

  private final RouteResolver publicResolver;
  private final BackendPool sink;

  WarmUpRoutes(RouteResolver publicResolver, InetSocketAddress sinkAddress) {
    this.publicResolver = publicResolver;
    PoolEndpoint endpoint =
        new PoolEndpoint(POOL, sinkAddress.getAddress().getHostAddress(), sinkAddress.getPort(), 1, 1);
    this.sink =
        new BackendPool(
            POOL,
            List.of(endpoint),
            List.of(),
            ProxyHeaderSpec.V2_WITH_TLVS,
            BackendPool.Balance.ROUND_ROBIN,
            CONNECT_TIMEOUT);
  }

  @Override
  public RouteDecision resolve(RouteRequest request) {
    publicResolver.resolve(request);
    if (!RESERVED_NAME.equals(request.serverName())) {
      return new RouteDecision.Refuse(Reason.NOT_ALLOWED, null, true);
    }
    return new RouteDecision.Forward(
        POOL, sink.tlsCandidates(), CONNECT_TIMEOUT, sink.proxyHeader(), RESERVED_NAME, null);
  }
}
