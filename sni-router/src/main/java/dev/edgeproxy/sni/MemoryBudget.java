package dev.edgeproxy.sni;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * One byte budget for what the data path holds in direct memory across all connections: buffered
 * ClientHellos, the client's bytes held while its backend connects, and bytes queued for a peer
 * that is not reading yet. Each per-connection bound
 * holds, but thousands of connections that each stay within theirs can still exhaust the direct
 * memory and freeze the node; this bounds the total, with three thresholds:
 *
 * <ul>
 *   <li>from {@link #SHED_PERCENT}% of the budget the connections stalled longest (incomplete
 *       hellos, connections waiting for their backend, relays whose peer stopped reading) are closed with reason {@code memory_shed}
 *       until the use is back under {@link #SHED_TARGET_PERCENT}%: those who hold memory without
 *       moving it make room for new clients;
 *   <li>from {@link #REFUSE_PERCENT}%, when shedding cannot keep up, new connections are refused
 *       ({@link #admitting()} is false: the listener gate refuses with reason {@code
 *       memory_budget});
 *   <li>a hello, or a client read while its backend connects, that would take the use over 100%
 *       is refused ({@code memory_budget}). Relayed
 *       bytes have already been read and are always accepted: the headroom between the budget and
 *       the direct-memory cap takes them while the shedding catches up.
 * </ul>
 *
 * <p>Thread-safe: event loops reserve and release concurrently.
 */
public final class MemoryBudget {
  /** Where a listener's data path finds the budget of its channel; absent means unlimited. */
  public static final AttributeKey<MemoryBudget> KEY =
      AttributeKey.valueOf(MemoryBudget.class, "budget");

  public static final int SHED_PERCENT = 75;
  public static final int SHED_TARGET_PERCENT = 65;
  public static final int REFUSE_PERCENT = 90;
  /**
   * After a pass that could not bring the use under its target (too little stalled memory to
   * shed), the next is at most this late, so that a loaded node does not sort on every write.
   */
  static final long SHED_INTERVAL_NANOS = 5_000_000;

  /** No limit: nothing refused, nothing shed (listeners without a budget, tests). */
  static final MemoryBudget UNLIMITED = new MemoryBudget(Long.MAX_VALUE);

  /** A connection holding budget that can be closed to give it back. */
  interface Sheddable {
    /** {@link System#nanoTime()} when it stopped making progress. */
    long stalledSinceNanos();

    /** Budget bytes it holds now; read from the shedding thread. */
    long heldBytes();

    /** Its event loop, where {@link #shed} runs. */
    Executor executor();

    /**
     * On {@link #executor()}: closes it with reason {@code memory_shed} and releases what it holds
     * before returning; nothing if it has moved on or closed since it was chosen.
     *
     * @return whether it was closed (what {@link #shedCount()} counts)
     */
    boolean shed();
  }

  private final long limit;
  private final long refuseAt;
  private final long shedAt;
  private final long shedTarget;
  private final AtomicLong used = new AtomicLong();
  /**
   * Bytes of connections being shed whose release has not happened yet: what each held when it was
   * chosen, taken off again once its shed ran, whatever it holds by then (it may have moved on).
   */
  private final AtomicLong shedding = new AtomicLong();
  private final AtomicBoolean shedPass = new AtomicBoolean();
  private final LongSupplier nanoClock;
  /** When the last pass that fell short of its target started (see {@link #SHED_INTERVAL_NANOS}). */
  private final AtomicLong shortPassNanos;
  /**
   * Whether the last pass fell short of its target. A pass that reached it needs no pause: the use
   * must grow by a tenth of the budget before the next one, and a burst that does so within the
   * interval must not be left above the threshold with no later reservation to start a pass.
   */
  private volatile boolean lastPassFellShort;
  private final Set<Sheddable> stalled = ConcurrentHashMap.newKeySet();
  private final LongAdder refused = new LongAdder();
  private final LongAdder shed = new LongAdder();

  public MemoryBudget(long limitBytes) {
    this(limitBytes, System::nanoTime);
  }

  MemoryBudget(long limitBytes, LongSupplier nanoClock) {
    if (limitBytes <= 0) {
      throw new IllegalArgumentException("memory budget must be positive: " + limitBytes);
    }
    this.limit = limitBytes;
    this.refuseAt = limitBytes / 100 * REFUSE_PERCENT;
    this.shedAt = limitBytes / 100 * SHED_PERCENT;
    this.shedTarget = limitBytes / 100 * SHED_TARGET_PERCENT;
    this.nanoClock = nanoClock;
    this.shortPassNanos = new AtomicLong(nanoClock.getAsLong() - SHED_INTERVAL_NANOS);
  }

  /** The budget of {@code channel}'s listener, or {@link #UNLIMITED}. */
  static MemoryBudget of(Channel channel) {
    MemoryBudget budget = channel.attr(KEY).get();
    if (budget == null && channel.parent() != null) {
      budget = channel.parent().attr(KEY).get();
    }
    return budget != null ? budget : UNLIMITED;
  }

  public long limit() {
    return limit;
  }

  public long used() {
    return used.get();
  }

  /** Whether new connections are taken: the use is under {@link #REFUSE_PERCENT}% of the budget. */
  public boolean admitting() {
    return used.get() < refuseAt;
  }

  /** Connections refused so far (at accept, or for a hello or a read while connecting that did not fit). */
  public long refusedCount() {
    return refused.sum();
  }

  /** Connections shed so far (closed by a shed, not merely chosen for one). */
  public long shedCount() {
    return shed.sum();
  }

  /** Counts a refusal made because {@link #admitting()} was false. */
  public void refusedConnection() {
    refused.increment();
  }

  /** Takes {@code bytes} for a hello (or a read while connecting) if the use stays within the budget; false takes nothing. */
  boolean tryReserve(long bytes) {
    long now = used.addAndGet(bytes);
    if (now > limit) {
      used.addAndGet(-bytes);
      refused.increment();
      shedIfNeeded();
      return false;
    }
    shedIfNeeded();
    return true;
  }

  /** Takes {@code bytes} already read and on their way to a peer: never refused. */
  void reserve(long bytes) {
    used.addAndGet(bytes);
    shedIfNeeded();
  }

  void release(long bytes) {
    used.addAndGet(-bytes);
  }

  void stalled(Sheddable connection) {
    if (this != UNLIMITED) { // nothing is ever shed there: do not collect connections in a shared set
      stalled.add(connection);
      shedIfNeeded(); // a pass that fell short for want of stalled connections now has one more
    }
  }

  void unstalled(Sheddable connection) {
    stalled.remove(connection);
  }

  private void shedIfNeeded() {
    if (used.get() - shedding.get() < shedAt
        || lastPassFellShort && nanoClock.getAsLong() - shortPassNanos.get() < SHED_INTERVAL_NANOS
        || !shedPass.compareAndSet(false, true)) {
      return;
    }
    try {
      long started = nanoClock.getAsLong();
      List<Sheddable> oldestFirst = new ArrayList<>(stalled);
      oldestFirst.sort(Comparator.comparingLong(Sheddable::stalledSinceNanos));
      for (Sheddable connection : oldestFirst) {
        if (used.get() - shedding.get() < shedTarget) {
          break;
        }
        if (!stalled.remove(connection)) {
          continue; // it moved again or closed meanwhile
        }
        long held = connection.heldBytes();
        shedding.addAndGet(held);
        shedOnItsLoop(connection, held);
      }
      lastPassFellShort = used.get() - shedding.get() >= shedTarget;
      if (lastPassFellShort) {
        shortPassNanos.set(started);
      }
    } finally {
      shedPass.set(false);
    }
  }

  private void shedOnItsLoop(Sheddable connection, long heldWhenChosen) {
    try {
      connection
          .executor()
          .execute(
              () -> {
                try {
                  if (connection.shed()) {
                    shed.increment();
                  }
                } finally {
                  shedding.addAndGet(-heldWhenChosen);
                }
              });
    } catch (RejectedExecutionException shuttingDown) {
      shedding.addAndGet(-heldWhenChosen); // its loop closes it anyway
    }
  }
}
