package dev.edgeproxy.sni;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Bounds the wait for each request head: from accept for the first, from the end of the previous
 * exchange for the next one on a keep-alive connection. When it fires while the connection still
 * waits for a head, the connection is closed: refused ({@value HttpReasons#TIMEOUT}) when no head
 * ever came, cut with that reason when part of a later head came, a normal end when the keep-alive
 * connection was simply idle.
 */
final class HttpHeadTimer {
  private final Duration timeout;
  private final ConnectionTracker tracker;
  private final HttpByteCounter counter;
  private final BooleanSupplier waitingForHead;
  private final Runnable close;
  private EventExecutor executor;
  private ScheduledFuture<?> pending;
  private long bytesAtStart;

  /**
   * @param waitingForHead whether the connection, when the timer fires, is still waiting for a head
   *     (nothing queued, nothing owed)
   * @param close closes the connection (both sides)
   */
  HttpHeadTimer(
      Duration timeout,
      ConnectionTracker tracker,
      HttpByteCounter counter,
      BooleanSupplier waitingForHead,
      Runnable close) {
    this.timeout = timeout;
    this.tracker = tracker;
    this.counter = counter;
    this.waitingForHead = waitingForHead;
    this.close = close;
  }

  /** Starts the wait for the first head, counted from accept. */
  void startFirst(EventExecutor executor) {
    this.executor = executor;
    long remaining = timeout.toNanos() - (System.nanoTime() - tracker.startNanos());
    arm(Math.max(0, remaining));
  }

  /** Starts the wait for the next head, unless it is already running. */
  void startNext() {
    if (pending == null) {
      bytesAtStart = counter.bytesIn();
      arm(timeout.toNanos());
    }
  }

  void cancel() {
    if (pending != null) {
      pending.cancel(false);
      pending = null;
    }
  }

  private void arm(long nanos) {
    cancel();
    pending = executor.schedule(this::fired, nanos, TimeUnit.NANOSECONDS);
  }

  private void fired() {
    pending = null;
    if (!waitingForHead.getAsBoolean()) {
      return;
    }
    if (tracker.decision() == null) {
      tracker.refuse(HttpReasons.TIMEOUT, null); // not one complete head in time
    } else if (counter.bytesIn() > bytesAtStart) {
      tracker.closeReason(HttpReasons.TIMEOUT); // a slow head after earlier requests
    } // else an idle keep-alive connection: a normal end
    close.run();
  }
}
