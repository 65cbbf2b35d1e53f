package dev.edgeproxy.dns;

import dev.edgeproxy.allowlist.SourceException;
import java.time.Duration;

/**
 * The deadline and the record-set count of one Route53 fetch. Every API call gets the time left
 * as its own API call timeout, so the fetch as a whole, all zones and pages and retries, ends by
 * the deadline; an interrupt of the fetching thread stops it before the next call.
 */
final class FetchBudget {
  private final Duration timeout;
  private final long deadlineNanos;
  private final Route53Bounds bounds;
  private int recordSets;

  FetchBudget(Duration timeout, Route53Bounds bounds) {
    this.timeout = timeout;
    this.deadlineNanos = System.nanoTime() + timeout.toNanos();
    this.bounds = bounds;
  }

  Route53Bounds bounds() {
    return bounds;
  }

  /** The time left for the next call; fails when none is left or the thread was interrupted. */
  Duration nextCall(String what) throws SourceException {
    if (Thread.currentThread().isInterrupted()) {
      throw new SourceException("route53: " + what + ": interrupted");
    }
    long left = deadlineNanos - System.nanoTime();
    if (left <= 0) {
      throw new SourceException(
          "route53: "
              + what
              + ": no complete answer within the timeout of "
              + timeout.toMillis()
              + " ms (allowlist.route53.timeout)");
    }
    return Duration.ofNanos(left);
  }

  void countRecordSets(int n, String zoneId) throws SourceException {
    recordSets += n;
    if (recordSets > bounds.maxRecordSets()) {
      throw new SourceException(
          "route53: listing records of zone "
              + zoneId
              + ": more than "
              + bounds.maxRecordSets()
              + " record sets in one fetch");
    }
  }
}
