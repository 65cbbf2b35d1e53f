package dev.edgeproxy.server.admin;

import dev.edgeproxy.server.observe.ProxyMetrics;
import dev.edgeproxy.server.pool.BackendPool;
import dev.edgeproxy.server.pool.PoolEndpoint;
import dev.edgeproxy.server.pool.Routing;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyEventExecutorMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The meters that only exist to be scraped: JVM, process, Netty allocator and event loops, and one
 * {@code edge_backend_endpoint_up{pool,endpoint}} gauge per endpoint of every pool, with the
 * endpoint's name resolution ({@code edge_backend_endpoint_resolve_failures_total},
 * {@code edge_backend_endpoint_resolve_failing_seconds}), plus the backend connect timer of every
 * pool, so its series exist before the first connection.
 *
 * <p>Pools change on reload, so {@link #refresh()} (called before each scrape) registers the
 * endpoints that appeared and removes those that left. Binding the Netty event executor metrics
 * waits for each loop thread to report its name, so {@link #bind} must not run on an event loop.
 */
public final class AdminMetrics implements AutoCloseable {
  private final MeterRegistry registry;
  private final Supplier<Routing> routing;
  private final JvmGcMetrics gc;
  private final Map<String, List<Meter>> endpointGauges = new HashMap<>();
  /**
   * Micrometer's Netty allocator gauges carry no unit; bytes they are, and Prometheus names should
   * say so ({@code netty_allocator_memory_used_bytes}). Configured where the registry is created,
   * before any meter exists.
   */
  public static final MeterFilter BYTES_FOR_NETTY_MEMORY =
      new MeterFilter() {
        @Override
        public Meter.Id map(Meter.Id id) {
          return id.getName().startsWith("netty.allocator.memory.") && id.getBaseUnit() == null
              ? id.withBaseUnit(BaseUnits.BYTES)
              : id;
        }
      };

  private final Optional<NodeStateMetrics> nodeState;

  private AdminMetrics(
      MeterRegistry registry,
      Supplier<Routing> routing,
      JvmGcMetrics gc,
      Optional<NodeStateMetrics> nodeState) {
    this.registry = registry;
    this.routing = routing;
    this.gc = gc;
    this.nodeState = nodeState;
  }

  /** Everything {@code /metrics} shows besides the data path's meters. */
  static AdminMetrics bind(AdminContext context) {
    return bind(
        context.meters(),
        context.routing(),
        context.eventLoops(),
        Optional.of(new NodeStateMetrics(context)));
  }

  /** The process, Netty and pool meters only (no allow-list or readiness gauges). */
  static AdminMetrics bind(
      MeterRegistry registry, Supplier<Routing> routing, List<AdminContext.LabelledLoops> loops) {
    return bind(registry, routing, loops, Optional.empty());
  }

  private static AdminMetrics bind(
      MeterRegistry registry,
      Supplier<Routing> routing,
      List<AdminContext.LabelledLoops> loops,
      Optional<NodeStateMetrics> nodeState) {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    JvmGcMetrics gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    // The channels use the default allocator (adaptive in Netty 4.2, pooled before).
    if (ByteBufAllocator.DEFAULT instanceof ByteBufAllocatorMetricProvider provider) {
      new NettyAllocatorMetrics(provider).bindTo(registry);
    }
    for (AdminContext.LabelledLoops l : loops) {
      // tagged by group: otherwise the acceptor and worker groups collide on one workers gauge
      new NettyEventExecutorMetrics(l.group(), Tags.of("group", l.label())).bindTo(registry);
    }
    AdminMetrics metrics = new AdminMetrics(registry, routing, gc, nodeState);
    metrics.refresh();
    return metrics;
  }

  /** Registers gauges for endpoints of the current pools and removes those of departed ones. */
  synchronized void refresh() {
    nodeState.ifPresent(NodeStateMetrics::refresh);
    Map<String, PoolEndpoint> now = new HashMap<>();
    for (BackendPool pool : routing.get().pools().values()) {
      ProxyMetrics.backendConnectTimer(registry, pool.name());
      for (PoolEndpoint e : pool.allEndpoints()) {
        now.putIfAbsent(pool.name() + '\0' + e.label(), e);
      }
    }
    endpointGauges
        .entrySet()
        .removeIf(
            g -> {
              if (now.containsKey(g.getKey())) {
                return false;
              }
              g.getValue().forEach(registry::remove);
              return true;
            });
    now.forEach(
        (key, e) ->
            endpointGauges.computeIfAbsent(
                key,
                k ->
                    List.of(
                        endpointGauge(e.pool(), e.label()),
                        resolveFailures(e.pool(), e.label()),
                        resolveFailing(e.pool(), e.label()))));
  }

  /** The current routing's endpoints of {@code pool} labelled {@code label} (tls and http). */
  private Stream<PoolEndpoint> endpoints(String pool, String label) {
    return routing.get().pool(pool).stream()
        .flatMap(p -> p.allEndpoints().stream())
        .filter(e -> e.label().equals(label));
  }

  private Meter resolveFailures(String pool, String label) {
    return FunctionCounter.builder(
            "edge.backend.endpoint.resolve.failures",
            this,
            m -> m.endpoints(pool, label).mapToLong(PoolEndpoint::resolveFailures).max().orElse(0))
        .description("Failed attempts to resolve the endpoint's host name (one per health check)")
        .tag("pool", pool)
        .tag("endpoint", label)
        .register(registry);
  }

  private Meter resolveFailing(String pool, String label) {
    return Gauge.builder(
            "edge.backend.endpoint.resolve.failing",
            this,
            m ->
                m.endpoints(pool, label)
                    .flatMap(e -> e.resolveFailure().stream())
                    .mapToLong(f -> Duration.between(f.since(), Instant.now()).toSeconds())
                    .max()
                    .orElse(0))
        .description(
            "Seconds the endpoint's host name has not resolved (0 while it does); meanwhile its"
                + " last address is used, or none if it never resolved")
        .baseUnit("seconds")
        .tag("pool", pool)
        .tag("endpoint", label)
        .register(registry);
  }

  private Meter endpointGauge(String pool, String label) {
    // Reads through the current routing, so a reload that rebuilds the endpoint object with the
    // same pool and label keeps one series.
    Supplier<Number> up =
        () ->
            routing
                .get()
                .pool(pool)
                .map(
                    p ->
                        p.allEndpoints().stream()
                                .anyMatch(e -> e.label().equals(label) && e.healthy())
                            ? 1
                            : 0)
                .orElse(0);
    return Gauge.builder("edge.backend.endpoint.up", up)
        .description("1 when the backend endpoint is considered healthy, else 0")
        .tag("pool", pool)
        .tag("endpoint", label)
        .register(registry);
  }

  @Override
  public synchronized void close() {
    gc.close();
    nodeState.ifPresent(NodeStateMetrics::close);
    endpointGauges.values().forEach(meters -> meters.forEach(registry::remove));
    endpointGauges.clear();
  }
}
