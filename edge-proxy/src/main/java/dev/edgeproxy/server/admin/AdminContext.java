package dev.edgeproxy.server.admin;

import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.server.pool.Routing;
import dev.edgeproxy.server.sources.AllowListService;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * What the admin endpoint reads and triggers, handed over by {@link EdgeProxyServer}. Suppliers,
 * not values, because routing and readiness change while the server runs (reload, drain).
 *
 * @param config the running configuration (node name, git source and its webhook secret variable)
 * @param version the product version shown in {@code /status}
 * @param uptime time since start
 * @param serverReadiness why the server itself is not ready (listeners, snapshot, draining)
 * @param routing the current pools, default backend and noSni pool
 * @param allowList the allow-list service (registry, sources, run now)
 * @param meters the registry {@code /metrics} scrapes
 * @param activeConnections connections open now, every listener
 * @param eventLoops the loops {@code /healthz} probes, by a label for messages
 * @param env environment lookup for the webhook secret ({@code System::getenv} in production)
 * @param configHash the hash of the configuration in force ({@link BuildInfo})
 * @param outOfService set by {@code POST /drain}: readiness fails, the listeners keep serving
 */
public record AdminContext(
    EdgeProxyConfig config,
    String version,
    Supplier<Duration> uptime,
    Supplier<List<String>> serverReadiness,
    Supplier<Routing> routing,
    AllowListService allowList,
    PrometheusMeterRegistry meters,
    LongSupplier activeConnections,
    List<LabelledLoops> eventLoops,
    Function<String, String> env,
    Supplier<String> configHash,
    AtomicBoolean outOfService) {

  /** An event loop group with the name used in health messages ("worker", "acceptor"). */
  public record LabelledLoops(String label, EventLoopGroup group) {}

  public AdminContext {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(uptime, "uptime");
    Objects.requireNonNull(serverReadiness, "serverReadiness");
    Objects.requireNonNull(routing, "routing");
    Objects.requireNonNull(allowList, "allowList");
    Objects.requireNonNull(meters, "meters");
    Objects.requireNonNull(activeConnections, "activeConnections");
    eventLoops = List.copyOf(eventLoops);
    Objects.requireNonNull(env, "env");
    Objects.requireNonNull(configHash, "configHash");
    Objects.requireNonNull(outOfService, "outOfService");
  }
}
