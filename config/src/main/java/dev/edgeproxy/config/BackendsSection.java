package dev.edgeproxy.config;

import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.InvalidHostNameException;
import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.config.ConfigReader.Val;
import dev.edgeproxy.yaml.YamlTree.Field;
import dev.edgeproxy.yaml.YamlTree.Node;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads {@code backends} (the pools) and {@code routes} (which hosts go to which pool). */
final class BackendsSection {
  private final ConfigReader r;

  BackendsSection(ConfigReader r) {
    this.r = r;
  }

  Map<String, BackendPoolConfig> backends(M root) {
    Map<String, BackendPoolConfig> out = new LinkedHashMap<>();
    Field f = root.field("backends");
    if (f == null || f.value().isNull()) {
      return out;
    }
    if (!f.value().isMap()) {
      r.problem(f.value(), "backends", "expected a map of pool name to pool, got " + f.value().describe());
      return out;
    }
    for (Field pool : f.value().fields().values()) {
      String name = pool.key();
      String path = "backends." + name;
      if (name.isBlank()) {
        r.problem(pool.line(), pool.column(), "backends: a pool name must not be empty");
        continue;
      }
      if (pool.value().isNull()) {
        r.problem(pool.line(), pool.column(), path + ": needs at least one tls or http endpoint");
        continue;
      }
      M p = r.open(pool.value(), path, BackendPoolConfig.class);
      if (!p.present()) {
        continue;
      }
      BackendPoolConfig config =
          RecordBinder.bind(
              r, p, BackendPoolConfig.class, (pointer, value, where) -> {}, Map.of("name", name));
      if (config.tls().isEmpty() && config.http().isEmpty() && r.problemsUnder(path) == 0) {
        r.problem(pool.line(), pool.column(), path + ": needs at least one tls or http endpoint");
      }
      out.put(name, config);
    }
    return out;
  }


  List<RouteConfig> routes(M root) {
    List<RouteConfig> out = new ArrayList<>();
    Field f = root.field("routes");
    if (f == null || f.value().isNull()) {
      return out;
    }
    if (!f.value().isList()) {
      r.problem(f.value(), "routes", "expected a list of {hosts, backend}, got " + f.value().describe());
      return out;
    }
    Map<HostPattern, Integer> routed = new HashMap<>();
    List<Node> items = f.value().items();
    for (int i = 0; i < items.size(); i++) {
      String path = "routes[" + i + "]";
      M route = r.open(items.get(i), path, RouteConfig.class);
      if (!route.present()) {
        continue;
      }
      List<HostPattern> hosts = new ArrayList<>();
      List<Val> vals = r.vals(route, "hosts");
      if (vals == null) {
        r.missing(route, "hosts");
      } else if (vals.isEmpty() && route.field("hosts").value().isList()) {
        r.problem(route.field("hosts").value(), route.at("hosts"), "needs at least one host");
      } else {
        for (Val v : vals) {
          try {
            HostPattern p = HostPattern.parse(v.text());
            Integer first = routed.putIfAbsent(p, v.node().line());
            if (first != null) {
              r.problem(v.node(), v.path(), "'" + p + "' is already routed (line " + first + ")");
            } else {
              hosts.add(p);
            }
          } catch (InvalidHostNameException e) {
            r.problem(v.node(), v.path(), e.getMessage());
          }
        }
      }
      Val backend = r.val(route, "backend");
      if (backend == null) {
        r.missing(route, "backend");
      } else if (backend.text() != null) {
        r.backendRefs.add(backend);
        if (!hosts.isEmpty()) {
          out.add(new RouteConfig(hosts, backend.text().strip()));
        }
      }
    }
    return out;
  }
}
