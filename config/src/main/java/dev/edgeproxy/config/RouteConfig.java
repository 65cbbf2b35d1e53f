package dev.edgeproxy.config;

import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.Provenance;
import dev.edgeproxy.allowlist.SourceRoute;
import dev.edgeproxy.config.ConfigSchema.ItemName;
import dev.edgeproxy.config.ConfigSchema.Required;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One entry of {@code routes}: these hosts (exact or {@code *.zone}) are served by that pool. The
 * exact host beats a wildcard, a longer wildcard beats a shorter one.
 */
public record RouteConfig(@Required @ItemName("host") List<HostPattern> hosts, @Required String backend) {
  public RouteConfig {
    hosts = List.copyOf(hosts);
    Objects.requireNonNull(backend, "backend");
  }

  /**
   * The config's routes as allow-list routes, for {@code AllowListSnapshot} and {@code
   * AllowListRegistry}: source {@code config}, ref {@code routes[i]}.
   */
  public static List<SourceRoute> toSourceRoutes(List<RouteConfig> routes) {
    List<SourceRoute> out = new ArrayList<>(routes.size());
    for (int i = 0; i < routes.size(); i++) {
      RouteConfig r = routes.get(i);
      out.add(new SourceRoute(r.hosts(), r.backend(), new Provenance("config", "routes[" + i + "]")));
    }
    return out;
  }
}
