package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.yaml.YamlTree.Field;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads {@code backends}: each pool, named by its key, bound to its record. */
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
}
