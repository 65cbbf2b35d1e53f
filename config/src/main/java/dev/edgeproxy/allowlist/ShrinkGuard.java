package dev.edgeproxy.allowlist;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Decides whether a change removes too much ({@code maxShrink}), measured two ways:
 *
 * <ul>
 *   <li>against the snapshot it replaces: the share of its hosts the change removes;
 *   <li>against a reference that successive changes cannot walk down: the largest host count the
 *       node served within the last {@link #WINDOW} (or since the last forced change, whichever is
 *       shorter). Without it ten cuts of 45% each, every one under a 50% limit, would empty the list.
 * </ul>
 *
 * Not thread-safe: the registry calls it under its lock.
 */
final class ShrinkGuard {
  /** How long a served host count stays the reference. */
  static final Duration WINDOW = Duration.ofHours(24);

  /** Samples kept at most; the largest is never dropped. Swaps are rare (source runs). */
  private static final int MAX_SAMPLES = 4096;

  private record Sample(Instant at, int hosts) {}

  /** Decreasing host counts by time: the front is the window's largest. */
  private final Deque<Sample> samples = new ArrayDeque<>();

  /** Notes a host count the node served from {@code at} on. */
  void served(Instant at, int hosts) {
    while (!samples.isEmpty() && samples.peekLast().hosts() <= hosts) {
      samples.pollLast();
    }
    samples.addLast(new Sample(at, hosts));
    if (samples.size() > MAX_SAMPLES) {
      Sample largest = samples.pollFirst();
      samples.pollFirst();
      samples.addFirst(largest);
    }
  }

  /** A forced change is the operator's confirmation: it becomes the only reference. */
  void confirmed(Instant at, int hosts) {
    samples.clear();
    samples.addLast(new Sample(at, hosts));
  }

  /** The largest host count served within the window before {@code now} (0 when none). */
  int reference(Instant now) {
    Instant oldest = now.minus(WINDOW);
    // the newest sample stays: it is what the node serves now, however old
    while (samples.size() > 1 && samples.peekFirst().at().isBefore(oldest)) {
      samples.pollFirst();
    }
    return samples.isEmpty() ? 0 : samples.peekFirst().hosts();
  }

  /** True when the change from {@code before} to {@code candidate} must be held back. */
  boolean tooMuchRemoved(
      AllowListSnapshot before,
      AllowListSnapshot candidate,
      AllowListDiff diff,
      double maxShrink,
      Instant now) {
    int total = before.hostCount();
    if (total > 0 && (double) diff.removed().size() / total > maxShrink) {
      return true;
    }
    int reference = Math.max(reference(now), total);
    return reference > 0 && (double) (reference - candidate.hostCount()) / reference > maxShrink;
  }
}
