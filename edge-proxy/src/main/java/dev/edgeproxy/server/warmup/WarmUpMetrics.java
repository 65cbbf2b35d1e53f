package dev.edgeproxy.server.warmup;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import java.util.concurrent.TimeUnit;

/**
 * The warm-up's own series, apart from the connection metrics (which never count it): how many
 * connections it completed and failed, and the wall and CPU time it added to the start. Held
 * strongly: a gauge only weakly holds what it reads, and nothing else keeps the result.
 */
final class WarmUpMetrics {
  private WarmUpMetrics() {}

  static void register(MeterRegistry meters, WarmUp.Result r) {
    Gauge.builder("edge.warmup.connections", r, WarmUp.Result::completed)
        .description("Warm-up connections at start that went through the TLS data path and back")
        .tag("outcome", "completed")
        .strongReference(true)
        .register(meters);
    Gauge.builder("edge.warmup.connections", r, WarmUp.Result::failed)
        .tag("outcome", "failed")
        .strongReference(true)
        .register(meters);
    TimeGauge.builder("edge.warmup.duration", r, TimeUnit.NANOSECONDS, x -> x.took().toNanos())
        .description("Wall time the warm-up added to the start")
        .strongReference(true)
        .register(meters);
    TimeGauge.builder("edge.warmup.cpu", r, TimeUnit.NANOSECONDS, x -> x.cpu().toNanos())
        .description("Process CPU time (JIT compilation included) spent during the warm-up")
        .strongReference(true)
        .register(meters);
  }
}
