package dev.edgeproxy.server.sources;

import dev.edgeproxy.allowlist.AllowListSource;
import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one allow-list source on its own thread: at most one run in flight and one queued (a storm
 * of webhooks or POST /sync costs at most one more fetch), and every run within a deadline. A run
 * past its deadline is interrupted and reported as failed at once; if it still answers later, the
 * answer is discarded. The next run waits for the stuck one to end (two runs of one source would
 * race on its Git cache), but other sources have their own threads and never wait for it.
 */
final class SourceRunner {
  private static final Logger log = LoggerFactory.getLogger(SourceRunner.class);

  /** Where a run's outcome goes (the registry, through the service). */
  interface Sink {
    void answered(SourceList list);

    void failed(String error, Outcome outcome);
  }

  /** How a run ended that did not give a list. */
  enum Outcome {
    ERROR,
    TIMED_OUT
  }

  /** What {@link #request()} did. */
  enum Request {
    STARTED,
    QUEUED,
    ALREADY_QUEUED,
    CLOSED
  }

  private final AllowListSource source;
  private final Duration deadline;
  private final Sink sink;
  private final ScheduledExecutorService watchdog;
  private final Clock clock;
  private final ExecutorService worker;
  private final Object lock = new Object();
  // guarded by lock
  private Instant runningSince;
  private boolean queued;
  private boolean closed;

  SourceRunner(
      AllowListSource source,
      Duration deadline,
      Sink sink,
      ScheduledExecutorService watchdog,
      Clock clock) {
    this.source = source;
    this.deadline = deadline;
    this.sink = sink;
    this.watchdog = watchdog;
    this.clock = clock;
    this.worker =
        Executors.newSingleThreadExecutor(DaemonThreads.named("allowlist-" + source.name()));
  }

  AllowListSource source() {
    return source;
  }

  /** Asks for a run: starts one, or queues one behind the run in flight (at most one queued). */
  Request request() {
    synchronized (lock) {
      if (closed) {
        return Request.CLOSED;
      }
      if (runningSince != null) {
        if (queued) {
          return Request.ALREADY_QUEUED;
        }
        queued = true;
        return Request.QUEUED;
      }
      startLocked();
      return Request.STARTED;
    }
  }

  /** When the run in flight started (a queued run counts from when it starts). */
  Optional<Instant> runningSince() {
    synchronized (lock) {
      return Optional.ofNullable(runningSince);
    }
  }

  /**
   * Stops taking runs and interrupts the one in flight; waits for it at most {@code grace}, then
   * leaves it behind (a daemon thread whose answer is discarded).
   *
   * @return true when no run was left behind
   */
  boolean close(Duration grace) {
    synchronized (lock) {
      closed = true;
      queued = false;
    }
    worker.shutdownNow();
    try {
      boolean done = worker.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS);
      if (!done) {
        log.warn("allow-list source {}: a run is still going; not waiting for it", source.name());
      }
      return done;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void startLocked() {
    runningSince = clock.instant();
    try {
      worker.execute(this::runOnce);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      runningSince = null;
    }
  }

  private void runOnce() {
    AtomicBoolean settled = new AtomicBoolean();
    Thread thread = Thread.currentThread();
    ScheduledFuture<?> timer =
        watchdog.schedule(
            () -> overdue(settled, thread), deadline.toMillis(), TimeUnit.MILLISECONDS);
    try {
      SourceList list = null;
      String error = null;
      try {
        list = source.fetch();
      } catch (SourceException e) {
        error = e.getMessage();
      } catch (RuntimeException e) {
        log.error("allow-list source {} failed unexpectedly", source.name(), e);
        error = e.toString();
      }
      timer.cancel(false);
      if (!settled.compareAndSet(false, true) || isClosed()) {
        log.info(
            "allow-list source {}: a run that passed its deadline ended; its {} is discarded",
            source.name(),
            list != null ? "answer" : "error");
      } else if (list != null) {
        sink.answered(list);
      } else {
        sink.failed(error, Outcome.ERROR);
      }
    } catch (RuntimeException | Error e) {
      // a failing sink must not kill the runner: the next request must still run
      log.error("allow-list source {}: handling its answer failed", source.name(), e);
    } finally {
      Thread.interrupted(); // an interrupt that came late must not hit the next run
      next();
    }
  }

  private void overdue(AtomicBoolean settled, Thread thread) {
    if (!settled.compareAndSet(false, true)) {
      return;
    }
    thread.interrupt();
    sink.failed(
        "no answer within " + Duration.ofMillis(deadline.toMillis()).toString().substring(2).toLowerCase()
            + " (allowlist.sourceTimeout): run interrupted, previous list kept",
        Outcome.TIMED_OUT);
  }

  private boolean isClosed() {
    synchronized (lock) {
      return closed;
    }
  }

  private void next() {
    synchronized (lock) {
      runningSince = null;
      if (queued && !closed) {
        queued = false;
        startLocked();
      }
    }
  }
}
