package dev.edgeproxy.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import io.netty.util.ResourceLeakTracker;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Netty's leak detector, made to collect its reports instead of only logging them. Netty creates a
 * detector per resource type (ByteBuf, HAProxyMessage, ...) through the {@link
 * ResourceLeakDetectorFactory} when the type is first used, so the factory must be installed before
 * any buffer exists: {@link #install()} runs from the extension's class initialiser and checks that
 * the buffer detector really is ours.
 */
public final class LeakReports {
  /** How long a leak check waits for the collector; a forced GC normally takes milliseconds. */
  private static final long GC_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(10);

  private static final Queue<String> REPORTS = new ConcurrentLinkedQueue<>();
  private static final List<ResourceLeakDetector<?>> DETECTORS = new CopyOnWriteArrayList<>();
  private static final List<Class<?>> TRACKED_TYPES = new CopyOnWriteArrayList<>();
  private static final String SENTINEL_HINT = "leak-check-sentinel-";
  private static final AtomicLong SENTINELS = new AtomicLong();
  private static boolean installed;

  private LeakReports() {}

  /** Whether {@link #install()} ran: true in every test of a module that registers the extension. */
  public static synchronized boolean installed() {
    return installed;
  }

  /** Installs the collecting factory and paranoid tracking; idempotent. */
  public static synchronized void install() {
    if (installed) {
      return;
    }
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new CollectingFactory());
    Unpooled.buffer(1).release(); // creates the ByteBuf detector now, if no buffer existed before
    if (!TRACKED_TYPES.contains(ByteBuf.class)) {
      throw new IllegalStateException(
          "a ByteBuf was created before the leak-collecting detector was installed: its leaks would"
              + " only be logged. Install dev.edgeproxy.testing.LeakReports first.");
    }
    installed = true;
  }

  /**
   * Forces a collection and returns every leak reported since the last call: resources that became
   * unreachable without being released. Waits until a sentinel buffer, leaked on purpose after the
   * test, has been reported, so every older garbage object has been through the same collection.
   */
  public static List<String> collect() {
    String hint = SENTINEL_HINT + SENTINELS.incrementAndGet();
    leakSentinel(hint);
    long deadline = System.nanoTime() + GC_DEADLINE_NANOS;
    boolean sentinelSeen = false;
    List<String> leaks = new ArrayList<>();
    while (!sentinelSeen && System.nanoTime() < deadline) {
      System.gc();
      pollEveryDetector();
      String report;
      while ((report = REPORTS.poll()) != null) {
        if (report.contains(hint)) {
          sentinelSeen = true;
        } else if (!report.contains(SENTINEL_HINT)) {
          leaks.add(report);
        }
      }
      if (!sentinelSeen) {
        // Phantom references are queued by the JVM's reference handler thread after the GC: no
        // event to wait on, so give it a moment (bounded by the deadline).
        sleepQuietly();
      }
    }
    if (!sentinelSeen) {
      leaks.add("leak check inconclusive: the sentinel buffer was not collected within 10 s");
    }
    return leaks;
  }

  private static void leakSentinel(String hint) {
    // Direct: Netty tracks direct and pooled buffers only (unpooled heap memory is the GC's).
    ByteBuf sentinel = Unpooled.directBuffer(1);
    sentinel.touch(hint);
  }

  /** Netty checks a detector's queue only when it tracks a new object: make each one look. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private static void pollEveryDetector() {
    for (ResourceLeakDetector detector : DETECTORS) {
      Object probe = new Object();
      ResourceLeakTracker tracker = detector.trackForcibly(probe);
      tracker.close(probe);
    }
  }

  private static void sleepQuietly() {
    try {
      TimeUnit.MILLISECONDS.sleep(5);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class CollectingFactory extends ResourceLeakDetectorFactory {
    @Override
    public <T> ResourceLeakDetector<T> newResourceLeakDetector(
        Class<T> resource, int samplingInterval, long maxActive) {
      ResourceLeakDetector<T> detector = new CollectingDetector<>(resource, samplingInterval);
      TRACKED_TYPES.add(resource);
      DETECTORS.add(detector);
      return detector;
    }
  }

  private static final class CollectingDetector<T> extends ResourceLeakDetector<T> {
    CollectingDetector(Class<T> resource, int samplingInterval) {
      super(resource, samplingInterval);
    }

    @Override
    protected boolean needReport() {
      return true; // report even when the test logging configuration hides Netty's errors
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
      REPORTS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected." + records);
      if (!records.contains(SENTINEL_HINT)) {
        super.reportTracedLeak(resourceType, records);
      }
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
      REPORTS.add("LEAK: " + resourceType + ".release() was not called before it was garbage-collected.");
      super.reportUntracedLeak(resourceType);
    }
  }
}
