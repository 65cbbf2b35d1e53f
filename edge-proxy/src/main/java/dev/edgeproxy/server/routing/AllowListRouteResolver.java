package dev.edgeproxy.server.routing;

import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.allowlist.HostName;
import dev.edgeproxy.server.pool.BackendPool;
import dev.edgeproxy.server.pool.Routing;
import dev.edgeproxy.sni.ProxyHeaderSpec;
import dev.edgeproxy.sni.Reason;
import dev.edgeproxy.sni.RouteDecision;
import dev.edgeproxy.sni.RouteRequest;
import dev.edgeproxy.sni.RouteResolver;
import dev.edgeproxy.sni.Upstream;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Adapts the allow-list snapshot and the routing table to the router: normalise the name, ask the
 * snapshot, pick the pool. Reads two volatile references and a couple of hash maps, so it is safe
 * and cheap on an event loop.
 *
 * <p>Shadow mode ({@code enforce: false}) forwards what would be refused for not being allowed or
 * for being denied, but a missing or invalid name is still refused: there is nothing to route by.
 */
public final class AllowListRouteResolver implements RouteResolver {
  public enum Listener {
    TLS,
    HTTP
  }

  private final Listener listener;
  private final Supplier<Routing> routing;
  private final Supplier<AllowListSnapshot> snapshot;

  public AllowListRouteResolver(
      Listener listener, Supplier<Routing> routing, Supplier<AllowListSnapshot> snapshot) {
    this.listener = listener;
    this.routing = routing;
    this.snapshot = snapshot;
  }

  @Override
  public RouteDecision resolve(RouteRequest request) {
    Routing table = routing.get();
    String raw = request.serverName();
    if (raw == null || raw.isEmpty()) {
      if (listener == Listener.TLS && table.noSniPool().isPresent()) {
        // An explicit operator choice: no allow-list check, and no AUTHORITY TLV to send.
        return forward(table, table.noSniPool().get(), null, null, false);
      }
      return new RouteDecision.Refuse(Reason.NO_SNI, null, true);
    }
    // Only ASCII is judged: the name the backend reads is these bytes, not what IDNA makes of
    // them (the parser keeps one ISO-8859-1 char per byte, so the UTF-8 "İnternal" arrives as
    // "Ä°nternal", a valid U-label of another name, while an ingress lower-casing with Unicode
    // rules reads "internal"). RFC 6066 sends internationalised names as A-labels anyway.
    Optional<HostName> parsed = isAscii(raw) ? HostName.tryParse(raw) : Optional.empty();
    if (parsed.isEmpty()) {
      return new RouteDecision.Refuse(Reason.INVALID_HOST, null, true);
    }
    HostName host = parsed.get();
    AllowListSnapshot.Decision decision = snapshot.get().decide(host);
    String poolName = decision.backend() != null ? decision.backend() : table.defaultBackend().orElse(null);
    Reason refusal =
        switch (decision.outcome()) {
          case ALLOWED -> null;
          case DENIED -> Reason.DENIED;
          case NOT_ALLOWED -> Reason.NOT_ALLOWED;
        };
    if (refusal != null && table.enforce()) {
      return new RouteDecision.Refuse(refusal, host.value(), true);
    }
    return forward(table, poolName, host.value(), refusal, true);
  }

  private static boolean isAscii(String name) {
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private RouteDecision forward(
      Routing table, String poolName, String host, Reason wouldRefuse, boolean authority) {
    Optional<BackendPool> pool = table.pool(poolName);
    if (pool.isEmpty()) {
      return new RouteDecision.Refuse(Reason.NO_BACKEND, host, false);
    }
    BackendPool p = pool.get();
    List<Upstream> candidates = listener == Listener.TLS ? p.tlsCandidates() : p.httpCandidates();
    if (candidates.isEmpty()) {
      return new RouteDecision.Refuse(Reason.NO_BACKEND, host, false);
    }
    ProxyHeaderSpec header = p.proxyHeader();
    if (!authority && header.authorityTlv()) {
      header = new ProxyHeaderSpec(header.version(), false, header.uniqueIdTlv());
    }
    return new RouteDecision.Forward(
        p.name(), candidates, p.connectTimeout(), header, host, wouldRefuse);
  }
}
