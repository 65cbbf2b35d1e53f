package dev.edgeproxy.server.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Configuration reloads (SIGHUP): {@code edge_config_reloads_total{outcome}} ({@code applied},
 * {@code refused}), {@code edge_config_last_reload_success_timestamp_seconds} (the start counts as
 * the first successful load) and {@code edge_config_last_reload_successful} (0 while the file on
 * disk does not load and the node runs an older configuration).
 */
public final class ReloadMetrics {
  /** How a reload ended. */
  public enum Outcome {
    APPLIED,
    REFUSED;

    String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Counter applied;
  private final Counter refused;
  private final AtomicLong lastSuccessMillis = new AtomicLong(System.currentTimeMillis());
  private final AtomicLong lastSuccessful = new AtomicLong(1);

  public ReloadMetrics(MeterRegistry registry) {
    this.applied = counter(registry, Outcome.APPLIED);
    this.refused = counter(registry, Outcome.REFUSED);
    Gauge.builder("edge.config.last.reload.success.timestamp", lastSuccessMillis, v -> v.get() / 1000.0)
        .description("When the configuration was last loaded successfully (start or reload), Unix time")
        .baseUnit("seconds")
        .register(registry);
    Gauge.builder("edge.config.last.reload.successful", lastSuccessful, AtomicLong::get)
        .description("1 when the last reload applied the configuration file, 0 when it was refused")
        .register(registry);
  }

  private static Counter counter(MeterRegistry registry, Outcome outcome) {
    return Counter.builder("edge.config.reloads")
        .description("Configuration reloads by outcome (applied, refused)")
        .tag("outcome", outcome.tag())
        .register(registry);
  }

  public void record(Outcome outcome) {
    switch (outcome) {
      case APPLIED -> {
        applied.increment();
        lastSuccessMillis.set(System.currentTimeMillis());
        lastSuccessful.set(1);
      }
      case REFUSED -> {
        refused.increment();
        lastSuccessful.set(0);
      }
    }
  }
}
