package dev.edgeproxy.git;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jgit.lib.EmptyProgressMonitor;

/**
 * The bounds of one Git fetch: a total deadline (not a per-read timeout), a stop request (the
 * caller was interrupted, or gave up at the deadline) and byte caps on what the remote sends. JGit
 * asks {@link #isCancelled()} between objects; {@link GuardedHttpConnection} checks {@link
 * #checkRead()} before every read of an http(s) response, so a remote that trickles a byte at a
 * time is stopped at the deadline too.
 */
final class FetchGuard extends EmptyProgressMonitor {
  /** Why a fetch was stopped before JGit finished it. */
  enum Stop {
    DEADLINE,
    INTERRUPTED,
    CLOSED,
    REF_ADVERTISEMENT_TOO_LARGE,
    FETCH_TOO_LARGE
  }

  /** Thrown into JGit's read loop when the guard stops the fetch; JGit wraps it, we unwrap. */
  static final class StoppedException extends IOException {
    private static final long serialVersionUID = 1L;

    StoppedException(Stop why) {
      super("fetch stopped: " + why);
    }
  }

  private final Duration timeout;
  private final long deadlineNanos;
  private final GitBounds bounds;
  private final AtomicReference<Stop> stopped = new AtomicReference<>();
  private final AtomicLong received = new AtomicLong();
  private volatile boolean started;

  FetchGuard(Duration timeout, GitBounds bounds) {
    this.timeout = timeout;
    this.deadlineNanos = System.nanoTime() + timeout.toNanos();
    this.bounds = bounds;
  }

  Duration timeout() {
    return timeout;
  }

  GitBounds bounds() {
    return bounds;
  }

  long remainingNanos() {
    return Math.max(0, deadlineNanos - System.nanoTime());
  }

  /** At least 1 ms, at most the time left: for connect and read timeouts. */
  int remainingMillis() {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, remainingNanos() / 1_000_000));
  }

  /** At least 1 s, at most the time left rounded up: JGit's per-read timeout. */
  int remainingSeconds() {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (remainingNanos() + 999_999_999L) / 1_000_000_000L));
  }

  /** Records the first reason only: later ones are consequences. */
  void stop(Stop why) {
    stopped.compareAndSet(null, why);
  }

  /** Why the fetch was stopped, or null; a passed deadline counts as a stop. */
  Stop stopReason() {
    if (stopped.get() == null && remainingNanos() == 0) {
      stop(Stop.DEADLINE);
    }
    return stopped.get();
  }

  void markStarted() {
    started = true;
  }

  boolean started() {
    return started;
  }

  long receivedBytes() {
    return received.get();
  }

  /** Before each read from the network. */
  void checkRead() throws StoppedException {
    if (Thread.currentThread().isInterrupted()) {
      stop(Stop.INTERRUPTED);
    }
    Stop why = stopReason();
    if (why != null) {
      throw new StoppedException(why);
    }
  }

  /** After each read: the total over every response of this fetch is capped. */
  void countReceived(long n) throws StoppedException {
    if (received.addAndGet(n) > bounds.maxFetchBytes()) {
      stop(Stop.FETCH_TOO_LARGE);
      throw new StoppedException(Stop.FETCH_TOO_LARGE);
    }
  }

  @Override
  public boolean isCancelled() {
    if (Thread.currentThread().isInterrupted()) {
      stop(Stop.INTERRUPTED);
    }
    return stopReason() != null;
  }
}
