package dev.edgeproxy.server.observe;

import dev.edgeproxy.sni.ConnectionRecord;
import dev.edgeproxy.sni.MemoryBudget;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The data path's meters, named as the spec's Prometheus names ({@code edge_connections_total}
 * ...). Meters are created once and cached, so the hot path does a map lookup at most; tag values
 * come from small closed sets (listener, outcome, reason, pool), never from host names.
 */
public final class ProxyMetrics {
  private final MeterRegistry registry;
  private final ConcurrentMap<String, Counter> connections = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, AtomicLong> active = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Timer> backendConnect = new ConcurrentHashMap<>();
  private final Counter bytesIn;
  private final Counter bytesOut;
  private final Timer clientHello;
  private final Counter echSeen;

  public ProxyMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.bytesIn =
        Counter.builder("edge.bytes")
            .description("Bytes relayed, by direction (in = from clients)")
            .baseUnit("bytes")
            .tag("direction", "in")
            .register(registry);
    this.bytesOut =
        Counter.builder("edge.bytes").baseUnit("bytes").tag("direction", "out").register(registry);
    this.clientHello =
        Timer.builder("edge.clienthello")
            .description("Time from accept to a complete ClientHello")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofNanos(50_000))
            .maximumExpectedValue(Duration.ofSeconds(10))
            .register(registry);
    this.echSeen =
        Counter.builder("edge.clienthello.ech")
            .description("ClientHellos that carried an Encrypted Client Hello extension")
            .register(registry);
  }

  MeterRegistry registry() {
    return registry;
  }

  /** Makes a listener's active-connections series exist (at 0) before its first connection. */
  void listenerBound(String listener) {
    activeGauge(listener);
  }

  void opened(String listener) {
    activeGauge(listener).incrementAndGet();
  }

  void closed(ConnectionRecord r) {
    activeGauge(r.connection().listener()).decrementAndGet();
    String outcome = r.decision().wireName();
    String reason = r.reason() == null ? "none" : r.reason().wireName();
    String key = r.connection().listener() + '\0' + outcome + '\0' + reason;
    connections
        .computeIfAbsent(
            key,
            k ->
                Counter.builder("edge.connections")
                    .description("Connections by listener, outcome and reason, counted when they end")
                    .tag("listener", r.connection().listener())
                    .tag("outcome", outcome)
                    .tag("reason", reason)
                    .register(registry))
        .increment();
    bytesIn.increment(r.bytesIn());
    bytesOut.increment(r.bytesOut());
  }

  void clientHello(long nanos, boolean ech) {
    clientHello.record(nanos, TimeUnit.NANOSECONDS);
    if (ech) {
      echSeen.increment();
    }
  }

  void backendConnected(String pool, long nanos) {
    backendConnect
        .computeIfAbsent(pool, p -> backendConnectTimer(registry, p))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  /** The backend connect timer of a pool; also registered ahead for every pool by the admin. */
  public static Timer backendConnectTimer(MeterRegistry registry, String pool) {
    return Timer.builder("edge.backend.connect")
        .description("Time to establish a backend connection")
        .tag("pool", pool)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000))
        .maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
  }

  /** The memory budget's use and size ({@code edge_memory_budget_used_bytes}, {@code _limit_bytes}). */
  public static void registerBudget(MeterRegistry registry, MemoryBudget budget) {
    Gauge.builder("edge.memory.budget.used", budget, MemoryBudget::used)
        .description("Direct memory held by buffered ClientHellos and relayed bytes, counted by the budget")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("edge.memory.budget.limit", budget, MemoryBudget::limit)
        .description("The memory budget; stalled connections are shed from 75% of it, new ones refused from 90%")
        .baseUnit("bytes")
        .register(registry);
  }

  private AtomicLong activeGauge(String listener) {
    return active.computeIfAbsent(
        listener,
        l -> {
          AtomicLong value = new AtomicLong();
          Gauge.builder("edge.connections.active", value, AtomicLong::get)
              .description("Connections open now")
              .tag("listener", l)
              .register(registry);
          return value;
        });
  }

  long activeConnections() {
    return active.values().stream().mapToLong(AtomicLong::get).sum();
  }
}
