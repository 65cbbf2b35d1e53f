package dev.edgeproxy.server.routing;

import dev.edgeproxy.allowlist.Provenance;
import dev.edgeproxy.allowlist.SourceRoute;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.config.RouteConfig;
import java.util.ArrayList;
import java.util.List;

/** The routes of edge-proxy.yaml in the allow-list's terms, with their place in the file. */
public final class ConfigRoutes {
  private ConfigRoutes() {}

  public static List<SourceRoute> of(EdgeProxyConfig config) {
    List<SourceRoute> routes = new ArrayList<>();
    List<RouteConfig> configured = config.routes();
    for (int i = 0; i < configured.size(); i++) {
      RouteConfig r = configured.get(i);
      routes.add(new SourceRoute(r.hosts(), r.backend(), new Provenance("config", "routes[" + i + "]")));
    }
    return routes;
  }
}
