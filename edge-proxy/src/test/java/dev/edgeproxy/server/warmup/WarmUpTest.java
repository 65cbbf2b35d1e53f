package dev.edgeproxy.server.warmup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.server.transport.Transport;
import dev.edgeproxy.sni.MemoryBudget;
import dev.edgeproxy.sni.Reason;
import dev.edgeproxy.sni.RouteDecision;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The whole warm-up in process: real sockets through the TLS data path to the sink and back. */
class WarmUpTest {
  private static final Transport TRANSPORT = Transport.detect();
  private static EventLoopGroup acceptors;
  private static EventLoopGroup workers;
  private final AtomicInteger publicAsked = new AtomicInteger();

  @BeforeAll
  static void loops() {
    acceptors = TRANSPORT.newGroup(1, "warm-up-test-accept");
    workers = TRANSPORT.newGroup(2, "warm-up-test-io");
  }

  @AfterAll
  static void stopLoops() {
    acceptors.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void everyConnectionGoesThroughTheDataPathToTheSinkAndBack() throws Exception {
    EdgeProxyConfig config = config("");
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    WarmUp.Result result =
        WarmUp.run(60, config.listeners().tls().get(), config.limits(), wiring(), meters);

    assertThat(result.completed()).isEqualTo(60);
    assertThat(result.failed()).isZero();
    assertThat(result.reachedSink()).isEqualTo(60);
    assertThat(result.stoppedEarly()).isNull();
    assertThat(publicAsked).hasValue(60);
    String scrape = meters.scrape();
    assertThat(scrape)
        .contains("edge_warmup_connections{outcome=\"completed\"} 60.0")
        .contains("edge_warmup_connections{outcome=\"failed\"} 0.0")
        .contains("edge_warmup_duration_seconds")
        .doesNotContain("edge_connections_total")
        .doesNotContain("edge_connections_active");
  }

  @Test
  void theSeriesOutliveAGarbageCollection() throws Exception {
    EdgeProxyConfig config = config("");
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    WarmUp.run(5, config.listeners().tls().get(), config.limits(), wiring(), meters);

    System.gc(); // a gauge holding the result weakly reads NaN from here on

    assertThat(meters.scrape())
        .contains("edge_warmup_connections{outcome=\"completed\"} 5.0")
        .doesNotContain("NaN");
  }

  @Test
  void behindALoadBalancerTheConnectionsSendAProxyHeaderFirst() throws Exception {
    EdgeProxyConfig config = config("acceptProxyProtocol: true, proxyProtocolFrom: [\"10.0.0.0/8\"], ");

    WarmUp.Result result =
        WarmUp.run(20, config.listeners().tls().get(), config.limits(), wiring(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));

    assertThat(result.completed()).isEqualTo(20);
    assertThat(result.failed()).isZero();
  }

  @Test
  void offMeansNoConnectionAndZeroSeries() throws Exception {
    EdgeProxyConfig config = config("");
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    WarmUp.Result result = WarmUp.run(0, config.listeners().tls().get(), config.limits(), wiring(), meters);

    assertThat(result.completed()).isZero();
    assertThat(publicAsked).hasValue(0);
    assertThat(meters.scrape()).contains("edge_warmup_connections{outcome=\"completed\"} 0.0");
  }

  @Test
  void theTimeBoundStopsItAndClosesWhatIsOpen() throws Exception {
    EdgeProxyConfig config = config("");

    WarmUp.Result result =
        WarmUp.runBounded(100_000, config.listeners().tls().get(), config.limits(), wiring(), Duration.ZERO);

    assertThat(result.stoppedEarly()).startsWith("time bound reached");
    assertThat(result.completed() + result.failed()).isLessThanOrEqualTo(WarmUpDriver.CONCURRENCY);
  }

  @Test
  void failingConnectionsStopItAtTheFailureBound() throws Exception {
    InetSocketAddress nobodyListens;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      nobodyListens = (InetSocketAddress) s.getLocalSocketAddress();
    }
    WarmUpDriver driver =
        new WarmUpDriver(TRANSPORT, workers, nobodyListens, WarmUpHello.exchange("x.test"), false);

    WarmUpDriver.Outcome outcome = driver.run(100_000, System.nanoTime() + TimeUnit.SECONDS.toNanos(30));

    assertThat(outcome.completed()).isZero();
    assertThat(outcome.failed()).isBetween(WarmUpDriver.MAX_FAILURES, WarmUpDriver.MAX_FAILURES + WarmUpDriver.CONCURRENCY);
    assertThat(outcome.stoppedEarly()).endsWith("connections failed");
  }

  private WarmUp.Wiring wiring() {
    return new WarmUp.Wiring(
        TRANSPORT,
        acceptors,
        workers,
        new MemoryBudget(64 << 20),
        request -> {
          publicAsked.incrementAndGet();
          return new RouteDecision.Refuse(Reason.NOT_ALLOWED, null, true);
        });
  }

  private static EdgeProxyConfig config(String tlsExtra) throws Exception {
    return ConfigLoader.loadFromString(
        "node: {name: warm-up-test}\nlisteners:\n  tls: {" + tlsExtra + "bind: \"127.0.0.1:1\"}\n"
            + "backends:\n  b:\n    tls: [\"127.0.0.1:9\"]\n",
        "warm-up-test.yaml",
        Map.of());
  }
}
