package dev.edgeproxy.server.observe;

import dev.edgeproxy.allowlist.AllowListRegistry;
import dev.edgeproxy.allowlist.SourceStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The allow-list's meters: effective hosts, per-source last success, held-back change and run
 * outcomes, and whether the served snapshot is saved. Per-source meters are registered when a
 * source first appears (a reload may add one) and read the registry at scrape time.
 */
public final class AllowListMeters {
  /** How a source run ended, as the {@code outcome} tag of {@code edge_allowlist_sync_total}. */
  public enum RunOutcome {
    APPLIED,
    UNCHANGED,
    HELD_BACK,
    ERROR,
    TIMED_OUT;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final MeterRegistry meters;
  private final AllowListRegistry registry;
  private final Map<String, Counter> syncCounters = new ConcurrentHashMap<>();
  private final Map<String, Boolean> sourcesRegistered = new ConcurrentHashMap<>();

  public AllowListMeters(MeterRegistry meters, AllowListRegistry registry) {
    this.meters = meters;
    this.registry = registry;
    Gauge.builder("edge.allowlist.hosts", registry, r -> r.current().hostCount())
        .description("Effective allowed entries (a wildcard counts as one)")
        .register(meters);
    Gauge.builder("edge.allowlist.state.save.failing", registry, r -> r.saveFailure().isPresent() ? 1 : 0)
        .description("1 while the served allow-list is not saved to the state file (save failing, retried)")
        .register(meters);
  }

  /** Registers the per-source meters of {@code name} (once). */
  public void source(String name) {
    if (sourcesRegistered.putIfAbsent(name, Boolean.TRUE) != null) {
      return;
    }
    Gauge.builder(
            "edge.allowlist.last.success.timestamp",
            registry,
            r -> {
              SourceStatus s = r.sourceStatus().get(name);
              return s == null || s.lastSuccess() == null ? Double.NaN : s.lastSuccess().getEpochSecond();
            })
        .description("When the source last gave a list that is served (Unix time); a held-back one does not count")
        .baseUnit("seconds")
        .tag("source", name)
        .register(meters);
    Gauge.builder(
            "edge.allowlist.held.back",
            registry,
            r -> {
              SourceStatus s = r.sourceStatus().get(name);
              return s != null && s.heldBackSince() != null ? 1 : 0;
            })
        .description("1 while a newer list of the source is held back by maxShrink, waiting for a force")
        .tag("source", name)
        .register(meters);
  }

  public void run(String source, RunOutcome outcome) {
    syncCounters
        .computeIfAbsent(
            source + "/" + outcome.tag(),
            k ->
                Counter.builder("edge.allowlist.sync")
                    .description("Allow-list source runs by outcome (applied, unchanged, held_back, error, timed_out)")
                    .tag("source", source)
                    .tag("outcome", outcome.tag())
                    .register(meters))
        .increment();
  }
}
