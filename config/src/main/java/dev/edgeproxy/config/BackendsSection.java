package dev.edgeproxy.config;

import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.InvalidHostNameException;
import dev.edgeproxy.config.BackendPoolConfig.Balance;
import dev.edgeproxy.config.BackendPoolConfig.HealthCheckConfig;
import dev.edgeproxy.config.BackendPoolConfig.ProxyProtocolVersion;
import dev.edgeproxy.config.BackendPoolConfig.ProxyTlv;
import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.config.ConfigReader.Val;
import dev.edgeproxy.yaml.YamlTree.Field;
import dev.edgeproxy.yaml.YamlTree.Node;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
      List<Endpoint> tls = r.parsedList(p, "tls", null, Endpoint::parse);
      List<Endpoint> http = r.parsedList(p, "http", null, Endpoint::parse);
      tls = tls == null ? List.of() : tls;
      http = http == null ? List.of() : http;
      if (tls.isEmpty() && http.isEmpty() && problemsAt(p) == 0) {
        r.problem(pool.line(), pool.column(), path + ": needs at least one tls or http endpoint");
      }
      Set<ProxyTlv> tlvs = BackendPoolConfig.DEFAULT_TLVS;
      List<Val> tlvVals = r.vals(p, "proxyProtocolTlvs");
      if (tlvVals != null) {
        EnumSet<ProxyTlv> set = EnumSet.noneOf(ProxyTlv.class);
        for (Val v : tlvVals) {
          ProxyTlv tlv = null;
          for (ProxyTlv t : ProxyTlv.values()) {
            if (t.configName().equalsIgnoreCase(v.text().strip())) {
              tlv = t;
            }
          }
          if (tlv == null) {
            r.problem(v.node(), v.path(), "unknown TLV '" + v.text() + "' (use authority, unique-id)");
          } else {
            set.add(tlv);
          }
        }
        tlvs = set;
      }
      M hc = r.map(p, "healthCheck", HealthCheckConfig.class);
      HealthCheckConfig d = HealthCheckConfig.DEFAULT;
      HealthCheckConfig health =
          new HealthCheckConfig(
              r.positiveDuration(hc, "interval", d.interval()),
              r.positiveDuration(hc, "timeout", d.timeout()),
              r.integer(hc, "unhealthyAfter", d.unhealthyAfter(), 1, 1000),
              r.integer(hc, "healthyAfter", d.healthyAfter(), 1, 1000));
      out.put(
          name,
          new BackendPoolConfig(
              name,
              tls,
              http,
              r.enumValue(p, "proxyProtocol", ProxyProtocolVersion.class, ProxyProtocolVersion.V2),
              tlvs,
              r.enumValue(p, "balance", Balance.class, Balance.ROUND_ROBIN),
              r.positiveDuration(p, "connectTimeout", BackendPoolConfig.DEFAULT_CONNECT_TIMEOUT),
              health));
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

  /** Problems already reported inside map {@code m} (to avoid piling a second one on). */
  private int problemsAt(M m) {
    int n = 0;
    for (ConfigProblem p : r.problems) {
      if (p.message().startsWith(m.path() + ".")) {
        n++;
      }
    }
    return n;
  }
}
