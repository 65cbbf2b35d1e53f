package dev.edgeproxy.server.sources;

import dev.edgeproxy.allowlist.AllowListRegistry;
import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.allowlist.AllowListSource;
import dev.edgeproxy.allowlist.FileAllowListSource;
import dev.edgeproxy.allowlist.HostName;
import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.SnapshotChange;
import dev.edgeproxy.allowlist.SourceList;
import dev.edgeproxy.allowlist.SourceStatus;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.server.observe.AllowListMeters;
import dev.edgeproxy.server.observe.ServerEvents;
import dev.edgeproxy.server.routing.ConfigRoutes;
import dev.edgeproxy.sni.Reason;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.quartz.SchedulerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the allow-list at run time: the registry (restored from the state file), the sources that
 * feed it (through {@link SourceScheduler}: one run in flight per source, each within {@code
 * allowlist.sourceTimeout}), and what follows a change (metrics, closing revoked connections).
 *
 * <p>The local file is watched by polling its modification time and size once a second, which
 * works on every file system (inotify misses edits through bind mounts and editors that replace
 * the file). Git and Route53 run on their schedules. A reload rebuilds the sources whose settings
 * changed ({@link SourceSet}); the snapshot keeps serving their last lists until they answer.
 */
public final class AllowListService implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AllowListService.class);
  private static final long FILE_POLL_MILLIS = 1000;
  private static final long SAVE_RETRY_MILLIS = 10_000;
  /** How long shutdown waits for runs in flight before leaving them behind. */
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(1);

  private volatile EdgeProxyConfig config;
  private final ServerEvents events;
  private final AllowListRegistry registry;
  private final AllowListMeters meters;
  private final ScheduledExecutorService tasks;
  private final SourceScheduler scheduler;
  private final SourceSet sources;
  private final boolean restoredFromState;
  private final CountDownLatch firstFileRun = new CountDownLatch(1);
  private final Instant startedAt = Instant.now();
  private volatile boolean readinessBoundLogged;

  public AllowListService(EdgeProxyConfig config, ServerEvents events, MeterRegistry meterRegistry)
      throws SchedulerException {
    this.config = config;
    this.events = events;
    this.registry =
        AllowListRegistry.restore(
            ConfigRoutes.of(config), config.allowlist().maxShrink(), config.allowlist().stateFile());
    registry.restoreProblem().ifPresent(p -> log.warn("allow-list state file ignored: {}", p));
    this.restoredFromState = registry.isReady();
    this.meters = new AllowListMeters(meterRegistry, registry);
    this.tasks =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("allowlist-tasks"));
    this.scheduler = new SourceScheduler(config.allowlist().sourceTimeout());
    this.sources = new SourceSet(scheduler, this::sink, meters::source);
    registry.addListener(this::onChange);
  }

  public void start() throws SchedulerException {
    // a source removed from the configuration since the state file was saved: its hosts go too
    registry.retainSources(SourceSet.configuredNames(config));
    sources.apply(config);
    scheduler.start();
    tasks.scheduleWithFixedDelay(
        guarded("file watch", () -> sources.pollFile()), FILE_POLL_MILLIS, FILE_POLL_MILLIS, TimeUnit.MILLISECONDS);
    if (config.allowlist().stateFile().isPresent()) {
      tasks.scheduleWithFixedDelay(
          guarded("state file retry", registry::retrySave), SAVE_RETRY_MILLIS, SAVE_RETRY_MILLIS, TimeUnit.MILLISECONDS);
    }
    sources.runAll();
    if (sources.names().contains(FileAllowListSource.NAME)) {
      // the local list is in place before the listeners bind, as it always was (bounded wait)
      try {
        firstFileRun.await(config.allowlist().sourceTimeout().toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (sources.names().isEmpty()) {
      // Only the config's routes: that is a complete, if small, allow-list.
      registry.markReady();
    }
  }

  /**
   * A reload: new config routes and maxShrink now; enforce and closeRevokedAfter from now on;
   * sources whose settings changed are rebuilt and run, removed ones dropped (subject to maxShrink).
   */
  public Map<String, SourceSet.Change> reconfigure(EdgeProxyConfig next) {
    registry.reconfigure(ConfigRoutes.of(next), next.allowlist().maxShrink());
    this.config = next;
    Map<String, SourceSet.Change> changes = sources.apply(next);
    registry.retainSources(SourceSet.configuredNames(next));
    changes.forEach(
        (name, change) ->
            log.info(
                "reload: allow-list source {} {}; {}",
                name,
                change.name().toLowerCase(java.util.Locale.ROOT),
                change == SourceSet.Change.REMOVED
                    ? "its hosts go as a normal change (maxShrink applies)"
                    : "the current list serves until it answers"));
    return changes;
  }

  /** The configuration the sources run with (their schedules, for the metrics). */
  public EdgeProxyConfig config() {
    return config;
  }

  public AllowListSnapshot current() {
    return registry.current();
  }

  public AllowListRegistry registry() {
    return registry;
  }

  /** The configured sources, by name, in order (file, git, route53). */
  public Map<String, AllowListSource> sources() {
    return sources.sources();
  }

  /** What the last reload changed in the sources, and when (empty before the first). */
  public Optional<SourceSet.Reload> lastReload() {
    return sources.lastReload();
  }

  /** When the run of {@code source} in flight started, if one is. */
  public Optional<Instant> runningSince(String source) {
    return scheduler.runningSince(source);
  }

  /**
   * Ready to serve: a snapshot is loaded, and it is either the saved one (a restarted node serves at
   * once, whatever its sources say) or every source has given a good answer. Without the second
   * rule a fresh node would go into service after reading only its local file, refusing hosts that
   * Git or Route53 are about to allow. The wait is bounded by {@code allowlist.readinessTimeout}:
   * past it the node serves what it has (said in the log and by {@link #waitingFor()}).
   */
  public boolean ready() {
    if (!registry.isReady()) {
      return false;
    }
    if (restoredFromState || waitingFor().isEmpty()) {
      return true;
    }
    if (Duration.between(startedAt, Instant.now()).compareTo(config.allowlist().readinessTimeout()) < 0) {
      return false;
    }
    if (!readinessBoundLogged) {
      readinessBoundLogged = true;
      log.warn(
          "allow-list: no good answer from {} within allowlist.readinessTimeout ({}); ready with"
              + " the lists of the sources that answered",
          waitingFor(),
          config.allowlist().readinessTimeout());
    }
    return true;
  }

  /** Sources that have not given a good answer yet (readiness waits for them, up to its bound). */
  public List<String> waitingFor() {
    Map<String, SourceStatus> status = registry.sourceStatus();
    List<String> out = new ArrayList<>();
    for (String name : sources.names()) {
      SourceStatus s = status.get(name);
      if (s == null || (s.lastSuccess() == null && s.heldBackSince() == null)) {
        out.add(name);
      }
    }
    return out;
  }

  /** Runs every source now (POST /sync, SIGHUP); requests are merged with runs already queued. */
  public void syncAll() {
    sources.runAll();
  }

  /** Runs one source now (or right after its run in flight); false when there is no such source. */
  public boolean runNow(String sourceName) {
    return scheduler.runNow(sourceName) != SourceRunner.Request.CLOSED;
  }

  private SourceRunner.Sink sink(String name) {
    return new SourceRunner.Sink() {
      @Override
      public void answered(SourceList list) {
        AllowListRegistry.UpdateOutcome outcome = registry.update(list);
        meters.run(name, AllowListMeters.RunOutcome.valueOf(outcome.name()));
        if (name.equals(FileAllowListSource.NAME)) {
          firstFileRun.countDown();
        }
      }

      @Override
      public void failed(String error, SourceRunner.Outcome outcome) {
        registry.recordFailure(name, error);
        meters.run(
            name,
            outcome == SourceRunner.Outcome.TIMED_OUT
                ? AllowListMeters.RunOutcome.TIMED_OUT
                : AllowListMeters.RunOutcome.ERROR);
        if (name.equals(FileAllowListSource.NAME)) {
          firstFileRun.countDown();
        }
      }
    };
  }

  /** A periodic task that logs what it throws instead of dying silently (and so runs again). */
  private static Runnable guarded(String what, Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException | Error e) {
        log.error("allow-list {} failed; it runs again at its next turn", what, e);
      }
    };
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
        c.handle().close(Reason.REVOKED);
        closed++;
      }
    }
    if (closed > 0) {
      log.info("closed {} open connections to hosts removed from the allow-list", closed);
    }
  }

  /** Stops at once: runs in flight are interrupted and waited for at most a second. */
  @Override
  public void close() {
    tasks.shutdownNow();
    scheduler.close(CLOSE_GRACE);
    sources.close();
  }
}
