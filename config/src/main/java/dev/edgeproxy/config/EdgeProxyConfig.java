package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigSchema.Given;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole {@code edge-proxy.yaml}, validated and immutable. Built by {@link ConfigLoader}; every
 * omitted key has the default documented (and declared, {@link ConfigSchema}) on its record.
 *
 * @param node {@code node}
 * @param listeners {@code listeners}
 * @param backends {@code backends}, in file order
 * @param routes {@code routes}, in file order (the allow-list files' routes come after these)
 * @param defaultBackend pool for allowed hosts that no route names; empty = such hosts are refused
 *     with reason {@code no_backend}
 * @param allowlist {@code allowlist}
 * @param limits {@code limits}
 * @param accessLog {@code accessLog}
 */
public record EdgeProxyConfig(
    NodeConfig node,
    @Given ListenersConfig listeners,
    @Given Map<String, BackendPoolConfig> backends,
    List<RouteConfig> routes,
    Optional<String> defaultBackend,
    AllowListConfig allowlist,
    LimitsConfig limits,
    AccessLogConfig accessLog) {
  public EdgeProxyConfig {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(listeners, "listeners");
    backends = Collections.unmodifiableMap(new LinkedHashMap<>(backends));
    routes = List.copyOf(routes);
    Objects.requireNonNull(defaultBackend, "defaultBackend");
    Objects.requireNonNull(allowlist, "allowlist");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(accessLog, "accessLog");
  }

  /** The pool named {@code name}, if configured. */
  public Optional<BackendPoolConfig> backend(String name) {
    return Optional.ofNullable(backends.get(name));
  }
}
