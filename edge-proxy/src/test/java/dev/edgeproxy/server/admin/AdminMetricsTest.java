package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.server.pool.BackendPool;
import dev.edgeproxy.server.pool.PoolEndpoint;
import dev.edgeproxy.server.pool.Routing;
import dev.edgeproxy.sni.ProxyHeaderSpec;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AdminMetricsTest {
  private static Routing routing(String pool, PoolEndpoint e) {
    BackendPool p =
        new BackendPool(
            pool,
            List.of(e),
            List.of(),
            new ProxyHeaderSpec(ProxyHeaderSpec.Version.V2, true, true),
            BackendPool.Balance.ROUND_ROBIN,
            Duration.ofSeconds(1));
    return new Routing(Map.of(pool, p), Optional.of(pool), Optional.empty(), true);
  }

  @Test
  void endpointGaugesFollowThePoolsAndScrapingIsQuick() throws Exception {
    EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    PoolEndpoint a = new PoolEndpoint("a", "127.0.0.1", 1001, 1, 1);
    AtomicReference<Routing> routing = new AtomicReference<>(routing("a", a));
    try (AdminMetrics metrics =
        AdminMetrics.bind(registry, routing::get, List.of(new AdminContext.LabelledLoops("worker", loops)))) {
      assertThat(registry.scrape())
          .contains("edge_backend_endpoint_up{endpoint=\"127.0.0.1:1001\",pool=\"a\"} 1.0")
          .contains("edge_backend_connect_seconds_count{pool=\"a\"} 0")
          .contains("netty_eventexecutor_tasks_pending{");
      a.markFailure("down");
      assertThat(registry.scrape()).contains("edge_backend_endpoint_up{endpoint=\"127.0.0.1:1001\",pool=\"a\"} 0.0");

      routing.set(routing("b", new PoolEndpoint("b", "127.0.0.1", 1002, 1, 1)));
      metrics.refresh();
      String text = registry.scrape();
      assertThat(text).contains("edge_backend_endpoint_up{endpoint=\"127.0.0.1:1002\",pool=\"b\"} 1.0");
      assertThat(text).doesNotContain("endpoint=\"127.0.0.1:1001\"");

      // Not an assertion on speed: the number decides whether scraping may stay on an event loop.
      long[] micros = new long[50];
      for (int i = 0; i < micros.length; i++) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long t0 = System.nanoTime();
        registry.scrape(out, "text/plain; version=0.0.4; charset=utf-8");
        micros[i] = (System.nanoTime() - t0) / 1000;
      }
      Arrays.sort(micros);
      System.out.printf(
          "scrape of %d lines: median %d us, max %d us%n",
          text.lines().count(), micros[micros.length / 2], micros[micros.length - 1]);
    } finally {
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      registry.close();
    }
  }

  @Test
  void anEndpointWhoseNameDoesNotResolveShowsInItsResolveSeries() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    PoolEndpoint e = new PoolEndpoint("c", "no-such-host.invalid", 443, 1, 1);
    AtomicReference<Routing> routing = new AtomicReference<>(routing("c", e));
    try (AdminMetrics metrics = AdminMetrics.bind(registry, routing::get, List.of())) {
      String series = "{endpoint=\"no-such-host.invalid:443\",pool=\"c\"}";
      assertThat(registry.scrape())
          .contains("edge_backend_endpoint_resolve_failures_total" + series + " 0.0")
          .contains("edge_backend_endpoint_resolve_failing_seconds" + series + " 0.0");
      e.resolve();
      e.resolve();
      assertThat(registry.scrape())
          .contains("edge_backend_endpoint_resolve_failures_total" + series + " 2.0")
          .contains("edge_backend_endpoint_resolve_failing_seconds" + series)
          .contains("edge_backend_endpoint_up" + series + " 0.0");
    } finally {
      registry.close();
    }
  }

  @Test
  void healthProbeNamesALoopThatDoesNotAnswer() throws Exception {
    EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    CountDownLatch release = new CountDownLatch(1);
    try {
      List<AdminContext.LabelledLoops> groups = List.of(new AdminContext.LabelledLoops("worker", loops));
      assertThat(HealthProbe.probe(groups, Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS)).isEmpty();
      loops.next().execute(() -> {
        try {
          release.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      List<String> problems = HealthProbe.probe(groups, Duration.ofMillis(300)).get(10, TimeUnit.SECONDS);
      assertThat(problems).hasSize(1);
      assertThat(problems.get(0)).startsWith("worker loop ").endsWith("did not answer within 300 ms");
    } finally {
      release.countDown();
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }
}
