package dev.edgeproxy.server.warmup;

import dev.edgeproxy.config.LimitsConfig;
import dev.edgeproxy.config.TlsListenerConfig;
import dev.edgeproxy.server.transport.Transport;
import dev.edgeproxy.sni.MemoryBudget;
import dev.edgeproxy.sni.RouteResolver;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Warm-up before readiness: before the public listeners open, the node drives a bounded number of
 * real loopback connections through a copy of the TLS listener's data path ({@link
 * WarmUpListener}) to an in-process sink ({@link WarmUpSink}), so the JIT has compiled the
 * per-connection path before the first client arrives. A restarted node otherwise spends its first
 * thousands of connections interpreting and compiling, at several times the warm CPU cost.
 *
 * <p>It can only delay the start, never fail it: any error ends the warm-up with a log line and the
 * start goes on. Bounded by count ({@code node.warmUpConnections}), by {@link #MAX_DURATION} of wall
 * time, and by {@link WarmUpDriver#MAX_FAILURES}.
 */
public final class WarmUp {
  private static final Logger log = LoggerFactory.getLogger(WarmUp.class);
  /** The most wall time the warm-up may add to a start, whatever the count. */
  static final Duration MAX_DURATION = Duration.ofSeconds(60);

  /** What the warm-up needs of the server: its transport, loops, memory budget and public routing. */
  public record Wiring(
      Transport transport,
      EventLoopGroup acceptors,
      EventLoopGroup workers,
      MemoryBudget budget,
      RouteResolver publicResolver) {}

  /**
   * What a warm-up did.
   *
   * @param completed connections whose every echo came back
   * @param failed connections that ended early, were refused or were cut at the time bound
   * @param reachedSink PROXY headers the sink read
   * @param stoppedEarly why it stopped before the count, or null
   */
  public record Result(
      int asked, int completed, int failed, long reachedSink, Duration took, Duration cpu, String stoppedEarly) {
    static Result skipped(int asked, String why) {
      return new Result(asked, 0, 0, 0, Duration.ZERO, Duration.ZERO, why);
    }
  }

  private WarmUp() {}

  /**
   * Runs the warm-up on the calling thread (never an event loop), then records it in {@code meters}
   * ({@code edge_warmup_*}) and in one log line. Returns at once when {@code connections} is 0.
   */
  public static Result run(
      int connections, TlsListenerConfig tls, LimitsConfig limits, Wiring wiring, MeterRegistry meters) {
    Result result;
    if (connections <= 0) {
      log.info("warm-up off (node.warmUpConnections: 0)");
      result = Result.skipped(0, "off");
    } else {
      result = runBounded(connections, tls, limits, wiring, MAX_DURATION);
      log(result);
    }
    WarmUpMetrics.register(meters, result);
    return result;
  }

  static Result runBounded(
      int connections, TlsListenerConfig tls, LimitsConfig limits, Wiring wiring, Duration maxDuration) {
    long cpu0 = processCpuNanos();
    long t0 = System.nanoTime();
    WarmUpHello.Exchange exchange = WarmUpHello.exchange(WarmUpRoutes.RESERVED_NAME);
    try (WarmUpSink sink =
            WarmUpSink.start(wiring.transport(), wiring.acceptors(), wiring.workers(), exchange);
        WarmUpListener listener =
            WarmUpListener.bind(
                tls,
                limits,
                wiring.transport(),
                wiring.acceptors(),
                wiring.workers(),
                wiring.budget(),
                new WarmUpRoutes(wiring.publicResolver(), sink.address()))) {
      WarmUpDriver driver =
          new WarmUpDriver(wiring.transport(), wiring.workers(), listener.address(), exchange, tls.acceptProxyProtocol());
      WarmUpDriver.Outcome outcome = driver.run(connections, System.nanoTime() + maxDuration.toNanos());
      return new Result(
          connections,
          outcome.completed(),
          outcome.failed(),
          sink.headersRead(),
          Duration.ofNanos(System.nanoTime() - t0),
          Duration.ofNanos(Math.max(0, processCpuNanos() - cpu0)),
          outcome.stoppedEarly());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Result.skipped(connections, "interrupted");
    } catch (Exception e) {
      return Result.skipped(connections, e.toString());
    }
  }

  private static void log(Result r) {
    if (r.completed() == 0) {
      log.warn("warm-up skipped, starting cold: {}", r.stoppedEarly());
      return;
    }
    log.info(
        "warm-up: {} of {} connections through the TLS data path in {} ms ({} ms CPU), {} failed{}",
        r.completed(),
        r.asked(),
        r.took().toMillis(),
        r.cpu().toMillis(),
        r.failed(),
        r.stoppedEarly() == null ? "" : "; stopped early: " + r.stoppedEarly());
  }

  /** CPU time of the whole process (JIT threads included, which is most of what a warm-up costs). */
  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return Math.max(0, os.getProcessCpuTime());
    }
    return 0;
  }
}
