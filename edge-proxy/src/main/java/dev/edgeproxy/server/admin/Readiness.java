package dev.edgeproxy.server.admin;

import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.allowlist.SourceRoute;
import dev.edgeproxy.server.pool.BackendPool;
import dev.edgeproxy.server.pool.Routing;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code /readyz}: the server's own reasons (listeners bound, snapshot loaded, not draining) plus
 * one per pool that traffic can reach but that has no healthy endpoint. A pool counts when a route
 * (config or allow-list file), {@code defaultBackend} or {@code noSni} names it. A route naming a
 * pool that does not exist is the source's mistake and already refused per connection; it does not
 * take the node out of rotation (every node would follow the same Git commit out at once).
 */
final class Readiness {
  private Readiness() {}

  /** The running server's reasons, as {@code /readyz} and the health listener answer them. */
  static List<String> reasons(AdminContext context) {
    return reasons(
        context.serverReadiness().get(), context.routing().get(), context.allowList().current());
  }

  static List<String> reasons(
      List<String> serverReasons, Routing routing, AllowListSnapshot snapshot) {
    Set<String> reasons = new LinkedHashSet<>(serverReasons);
    for (String name : poolsInUse(routing, snapshot)) {
      Optional<BackendPool> pool = routing.pool(name);
      if (pool.isPresent() && !pool.get().hasHealthyEndpoint()) {
        reasons.add("pool " + name + " has no healthy endpoint");
      }
    }
    return new ArrayList<>(reasons);
  }

  /** Pools that a route, the default backend or the noSni setting sends traffic to, in order. */
  static Set<String> poolsInUse(Routing routing, AllowListSnapshot snapshot) {
    Set<String> names = new LinkedHashSet<>();
    routing.defaultBackend().ifPresent(names::add);
    routing.noSniPool().ifPresent(names::add);
    for (SourceRoute route : snapshot.routes()) {
      names.add(route.backend());
    }
    return names;
  }
}
