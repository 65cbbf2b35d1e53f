package dev.edgeproxy.server;

import dev.edgeproxy.allowlist.AllowListRegistry;
import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.allowlist.AllowListSource;
import dev.edgeproxy.allowlist.FileAllowListSource;
import dev.edgeproxy.allowlist.HostName;
import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.SnapshotChange;
import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import dev.edgeproxy.allowlist.SourceStatus;
import dev.edgeproxy.config.EdgeProxyConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.quartz.SchedulerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the allow-list at run time: the registry (restored from the state file), the sources that
 * feed it, and what follows a change (metrics, closing revoked connections).
 *
 * <p>The local file is watched by polling its modification time and size once a second, which
 * works on every file system (inotify misses edits through bind mounts and editors that replace
 * the file). Git and Route53 run as Quartz jobs.
 */
final class AllowListService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AllowListService.class);
  private static final long FILE_POLL_MILLIS = 1000;

  private volatile EdgeProxyConfig config;
  private final ServerEvents events;
  private final MeterRegistry meters;
  private final AllowListRegistry registry;
  private final ScheduledExecutorService tasks;
  private final Map<String, AllowListSource> sources = new LinkedHashMap<>();
  private final Map<String, Counter> syncCounters = new ConcurrentHashMap<>();
  private final SourceScheduler scheduler;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private final boolean restoredFromState;
  private Object lastFileStamp;

  AllowListService(EdgeProxyConfig config, ServerEvents events, MeterRegistry meters)
      throws SchedulerException {
    this.config = config;
    this.events = events;
    this.meters = meters;
    this.registry =
        AllowListRegistry.restore(
            ConfigRoutes.of(config), config.allowlist().maxShrink(), config.allowlist().stateFile());
    registry.restoreProblem().ifPresent(p -> log.warn("allow-list state file ignored: {}", p));
    this.restoredFromState = registry.isReady();
    this.tasks =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "allowlist-tasks");
              t.setDaemon(true);
              return t;
            });
    config
        .allowlist()
        .file()
        .ifPresent(f -> sources.put("file", new FileAllowListSource(f.path())));
    List<AllowListSource> remote = Sources.remote(config);
    for (AllowListSource source : remote) {
      sources.put(source.name(), source);
      if (source instanceof AutoCloseable c) {
        closeables.add(c);
      }
    }
    // The local file is polled by `tasks`; Quartz runs only for Git and Route53.
    this.scheduler = remote.isEmpty() ? null : new SourceScheduler(2);
    registerMeters();
    registry.addListener(this::onChange);
  }

  void start() throws SchedulerException {
    if (sources.containsKey("file")) {
      pollFile();
      tasks.scheduleWithFixedDelay(
          this::pollFile, FILE_POLL_MILLIS, FILE_POLL_MILLIS, TimeUnit.MILLISECONDS);
    }
    if (scheduler != null) {
      for (AllowListSource source : sources.values()) {
        if (!source.name().equals("file")) {
          scheduler.add(source.name(), Sources.schedule(config, source.name()), () -> runSource(source));
        }
      }
      scheduler.start();
    }
    if (sources.isEmpty()) {
      // Only the config's routes: that is a complete, if small, allow-list.
      registry.markReady();
    }
  }

  /** A reload: new config routes and maxShrink now; enforce and closeRevokedAfter from now on. */
  void reconfigure(EdgeProxyConfig next) {
    registry.reconfigure(ConfigRoutes.of(next), next.allowlist().maxShrink());
    this.config = next;
  }

  /** The configuration the sources run with (their schedules, for the metrics). */
  EdgeProxyConfig config() {
    return config;
  }

  AllowListSnapshot current() {
    return registry.current();
  }

  AllowListRegistry registry() {
    return registry;
  }

  /**
   * Ready to serve: a snapshot is loaded, and it is either the saved one (a restarted node serves at
   * once, whatever its sources say) or every source has been asked once. Without the second rule a
   * fresh node would go into service after reading only its local file, refusing hosts that Git or
   * Route53 are about to allow.
   */
  boolean ready() {
    if (!registry.isReady()) {
      return false;
    }
    if (restoredFromState) {
      return true;
    }
    Map<String, SourceStatus> status = registry.sourceStatus();
    for (String name : sources.keySet()) {
      SourceStatus s = status.get(name);
      if (s == null || s.lastAttempt() == null) {
        return false;
      }
    }
    return true;
  }

  Map<String, AllowListSource> sources() {
    return sources;
  }

  /** Runs every source now (POST /sync, SIGHUP). */
  void syncAll() {
    for (AllowListSource source : sources.values()) {
      if (!runNow(source.name())) {
        tasks.execute(() -> runSource(source));
      }
    }
  }

  /** Runs one scheduled source now; false when there is no such scheduled source. */
  boolean runNow(String sourceName) {
    return scheduler != null && scheduler.has(sourceName) && scheduler.runNow(sourceName);
  }

  private void pollFile() {
    Path path = config.allowlist().file().orElseThrow().path();
    Object stamp;
    try {
      BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
      stamp = attrs.lastModifiedTime().toMillis() + "/" + attrs.size() + "/" + attrs.fileKey();
    } catch (NoSuchFileException e) {
      stamp = "missing";
    } catch (IOException e) {
      stamp = "error:" + e;
    }
    if (Objects.equals(stamp, lastFileStamp)) {
      return;
    }
    lastFileStamp = stamp;
    runSource(sources.get("file"));
  }

  /** Asks a source once and feeds the registry; never throws. */
  void runSource(AllowListSource source) {
    String outcome;
    try {
      SourceList list = source.fetch();
      outcome = registry.update(list).name().toLowerCase(java.util.Locale.ROOT);
    } catch (SourceException e) {
      registry.recordFailure(source.name(), e.getMessage());
      outcome = "error";
    } catch (RuntimeException e) {
      log.error("allow-list source {} failed unexpectedly", source.name(), e);
      registry.recordFailure(source.name(), e.toString());
      outcome = "error";
    }
    String key = source.name() + "/" + outcome;
    String tagOutcome = outcome;
    syncCounters
        .computeIfAbsent(
            key,
            k ->
                Counter.builder("edge.allowlist.sync")
                    .description("Allow-list source runs by outcome (applied, unchanged, held_back, error)")
                    .tag("source", source.name())
                    .tag("outcome", tagOutcome)
                    .register(meters))
        .increment();
  }

  private void registerMeters() {
    Gauge.builder("edge.allowlist.hosts", registry, r -> r.current().hostCount())
        .description("Effective allowed entries (a wildcard counts as one)")
        .register(meters);
    for (String name : sources.keySet()) {
      Gauge.builder(
              "edge.allowlist.last.success.timestamp",
              registry,
              r -> {
                SourceStatus s = r.sourceStatus().get(name);
                return s == null || s.lastSuccess() == null ? Double.NaN : s.lastSuccess().getEpochSecond();
              })
          .description("When the source last gave a valid list (Unix time)")
          .baseUnit("seconds")
          .tag("source", name)
          .register(meters);
    }
  }

  private void onChange(SnapshotChange change) {
    Optional<Duration> delay = config.allowlist().closeRevokedAfter();
    List<HostPattern> removed = change.diff().removedPatterns();
    if (delay.isEmpty() || removed.isEmpty()) {
      return;
    }
    tasks.schedule(this::closeRevoked, delay.get().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Closes open connections whose host is no longer allowed, as of now (it may be back). */
  private void closeRevoked() {
    AllowListSnapshot now = registry.current();
    int closed = 0;
    for (ServerEvents.OpenConnection c : events.forwardedConnections()) {
      if (c.host() == null) {
        continue;
      }
      Optional<HostName> host = HostName.tryParse(c.host());
      if (host.isPresent() && !now.decide(host.get()).allowed() && config.allowlist().enforce()) {
        c.handle().close("revoked");
        closed++;
      }
    }
    if (closed > 0) {
      log.info("closed {} open connections to hosts removed from the allow-list", closed);
    }
  }

  @Override
  public void close() {
    if (scheduler != null) {
      scheduler.close();
    }
    tasks.shutdownNow();
    for (AutoCloseable c : closeables) {
      try {
        c.close();
      } catch (Exception e) {
        log.debug("closing allow-list source: {}", e.toString());
      }
    }
  }
}
