package dev.edgeproxy.server.limits;

import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.config.LimitsConfig;
import dev.edgeproxy.config.TlsListenerConfig;
import dev.edgeproxy.sni.MemoryBudget;
import io.netty.util.internal.PlatformDependent;
import java.util.ArrayList;
import java.util.List;

/**
 * How big the data path's {@link MemoryBudget} is. {@code limits.memoryBudget} when set; else half
 * of the direct-memory cap Netty allocates under ({@code -Dio.netty.maxDirectMemory}, which
 * defaults to {@code -XX:MaxDirectMemorySize}, which defaults to the heap maximum). The other half
 * is headroom for what the budget does not count: read buffers in flight, allocator chunks not yet
 * handed back, the HTTP listener's request decoding, the admin endpoint and health checks, and the
 * relayed bytes taken while shedding catches up.
 */
public final class MemoryBudgets {
  private MemoryBudgets() {}

  static long directMemoryCap() {
    return PlatformDependent.maxDirectMemory();
  }

  public static long bytes(LimitsConfig limits) {
    return limits.memoryBudget() > 0 ? limits.memoryBudget() : Math.max(1 << 20, directMemoryCap() / 2);
  }

  /** For the start-up log: the budget and where it comes from. */
  public static String describe(LimitsConfig limits) {
    String source =
        limits.memoryBudget() > 0
            ? "limits.memoryBudget"
            : "half of the direct-memory cap " + mib(directMemoryCap());
    return mib(bytes(limits)) + " (" + source + "; the longest stalled connections shed from "
        + MemoryBudget.SHED_PERCENT + "% down to " + MemoryBudget.SHED_TARGET_PERCENT
        + "%, new connections refused from " + MemoryBudget.REFUSE_PERCENT + "%)";
  }

  /** Whether Netty counts and caps its own direct memory (fails fast) instead of the JDK's Bits. */
  public static boolean failsFast() {
    return PlatformDependent.useDirectBufferNoCleaner();
  }

  /**
   * What {@code validate} says about {@code maxConnections} against the budget of this JVM: when
   * that many connections, each holding one incomplete hello, would not fit, the budget and not
   * {@code maxConnections} is what bounds them under a flood (refused with {@code memory_budget}).
   */
  public static List<String> warnings(EdgeProxyConfig config) {
    List<String> warnings = new ArrayList<>();
    long budget = bytes(config.limits());
    long helloBytes =
        config.listeners().tls().map(TlsListenerConfig::maxClientHelloBytes).orElse(0);
    long worstCase = (long) config.limits().maxConnections() * helloBytes;
    if (worstCase > budget) {
      warnings.add(
          "limits.maxConnections: " + config.limits().maxConnections() + " connections holding an"
              + " incomplete ClientHello of up to " + helloBytes + " bytes need " + mib(worstCase)
              + ", more than the memory budget " + describe(config.limits())
              + "; under such a flood the budget refuses new connections (reason memory_budget)"
              + " before maxConnections is reached");
    }
    if (config.limits().memoryBudget() > directMemoryCap() / 2) {
      warnings.add(
          "limits.memoryBudget: " + mib(config.limits().memoryBudget()) + " leaves less than half"
              + " of the direct-memory cap " + mib(directMemoryCap()) + " as headroom");
    }
    return warnings;
  }

  public static String mib(long bytes) {
    return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }
}
