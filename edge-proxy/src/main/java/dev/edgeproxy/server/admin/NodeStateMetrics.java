package dev.edgeproxy.server.admin;

import dev.edgeproxy.allowlist.SourceStatus;
import dev.edgeproxy.server.sources.SourceScheduler;
import dev.edgeproxy.server.sources.Sources;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.quartz.CronExpression;

/**
 * The gauges the shipped alert rules ({@code monitoring/}) read that no event counts: readiness,
 * which snapshot a node serves and how old its parts are, how long each source has been failing
 * against its schedule, and the connection limit. Values are read at scrape time from the admin
 * context; series whose tags change (snapshot version, sources after a reload) are re-registered by
 * {@link #refresh()}.
 */
final class NodeStateMetrics implements AutoCloseable {
  private final AdminContext context;
  private final MeterRegistry registry;
  private final Instant started;
  private final Map<String, Meter> sourceGauges = new HashMap<>();
  private final Map<String, Instant> failingSince = new HashMap<>();
  private Meter versionInfo;
  private String versionShown;

  NodeStateMetrics(AdminContext context) {
    this.context = context;
    this.registry = context.meters();
    this.started = Instant.now().minus(context.uptime().get());
    Gauge.builder("edge.ready", this, m -> Readiness.reasons(m.context).isEmpty() ? 1 : 0)
        .description("1 when /readyz answers 200 (listeners bound, snapshot loaded, pools in use healthy)")
        .register(registry);
    Gauge.builder("edge.allowlist.snapshot.age", this, m -> m.snapshotAge().toSeconds())
        .description("Seconds since the least recently confirmed source last gave a valid list"
            + " (since start for a source that has not yet); 0 without sources")
        .baseUnit("seconds")
        .register(registry);
    Gauge.builder("edge.connections.limit", context, c -> c.config().limits().maxConnections())
        .description("limits.maxConnections: over this, new connections are refused at accept")
        .register(registry);
    refresh();
  }

  /** Re-registers the series whose tags changed: the snapshot version, the sources. */
  synchronized void refresh() {
    String version = context.allowList().current().version();
    if (!version.equals(versionShown)) {
      if (versionInfo != null) {
        registry.remove(versionInfo);
      }
      versionInfo =
          Gauge.builder("edge.allowlist.snapshot", () -> 1)
              .description("The allow-list snapshot version this node serves (value always 1)")
              .tag("version", version)
              .register(registry);
      versionShown = version;
    }
    Set<String> sources = context.allowList().sources().keySet();
    sourceGauges.entrySet().removeIf(g -> {
      if (sources.contains(g.getKey().substring(g.getKey().indexOf('\0') + 1))) {
        return false;
      }
      registry.remove(g.getValue());
      return true;
    });
    for (String source : sources) {
      sourceGauges.computeIfAbsent("failing\0" + source, k -> failingGauge(source));
      sourceGauges.computeIfAbsent("interval\0" + source, k -> intervalGauge(source));
    }
  }

  private Meter failingGauge(String source) {
    return Gauge.builder("edge.allowlist.source.failing", this, m -> m.failingFor(source).toSeconds())
        .description("Seconds the source has been failing: 0 after a success, else since the first"
            + " failed attempt seen (since start if it never succeeded)")
        .baseUnit("seconds")
        .tag("source", source)
        .register(registry);
  }

  private Meter intervalGauge(String source) {
    return Gauge.builder("edge.allowlist.source.interval", this, m -> m.interval(source).toSeconds())
        .description("How often the source runs (the file is polled every second; a cron schedule"
            + " counts its next gap)")
        .baseUnit("seconds")
        .tag("source", source)
        .register(registry);
  }

  /**
   * Since when the source's attempts have been failing, as first seen here: the local file is only
   * re-read when it changes, so its last success can be days before the edit that broke it.
   */
  synchronized Duration failingFor(String source) {
    SourceStatus s = context.allowList().registry().sourceStatus().get(source);
    Instant now = Instant.now();
    if (s == null || s.lastAttempt() == null || s.lastError() == null) {
      failingSince.remove(source);
      return Duration.ZERO;
    }
    // never succeeded: failing since start; else since the failed attempt first seen
    Instant since = failingSince.computeIfAbsent(source, k -> s.lastSuccess() == null ? started : s.lastAttempt());
    return Duration.between(since, now);
  }

  Duration snapshotAge() {
    Map<String, SourceStatus> status = context.allowList().registry().sourceStatus();
    Instant now = Instant.now();
    Duration oldest = Duration.ZERO;
    for (String source : context.allowList().sources().keySet()) {
      if (source.equals("file")) {
        // re-read whenever it changes: unchanged is current, not stale
        continue;
      }
      SourceStatus s = status.get(source);
      Instant confirmed = s == null || s.lastSuccess() == null ? started : s.lastSuccess();
      Duration age = Duration.between(confirmed, now);
      if (age.compareTo(oldest) > 0) {
        oldest = age;
      }
    }
    return oldest;
  }

  Duration interval(String source) {
    if (source.equals("file")) {
      return Duration.ofSeconds(1);
    }
    SourceScheduler.Schedule schedule = Sources.schedule(context.allowList().config(), source);
    if (schedule.interval() != null) {
      return schedule.interval();
    }
    return cronGap(schedule.cron()).orElse(Duration.ZERO);
  }

  private static Optional<Duration> cronGap(String cron) {
    try {
      CronExpression e = new CronExpression(cron);
      Date next = e.getNextValidTimeAfter(new Date());
      Date after = next == null ? null : e.getNextValidTimeAfter(next);
      return after == null ? Optional.empty() : Optional.of(Duration.ofMillis(after.getTime() - next.getTime()));
    } catch (ParseException e) {
      return Optional.empty();
    }
  }

  @Override
  public synchronized void close() {
    sourceGauges.values().forEach(registry::remove);
    sourceGauges.clear();
    if (versionInfo != null) {
      registry.remove(versionInfo);
    }
  }
}
