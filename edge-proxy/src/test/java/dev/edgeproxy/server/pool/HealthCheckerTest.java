package dev.edgeproxy.server.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.server.transport.Transport;
import dev.edgeproxy.sni.ProxyHeaderSpec;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class HealthCheckerTest {

  /**
   * An endpoint whose name has never resolved is not dialled by its health check. Before, the check
   * connected to the unresolved address, which made Netty resolve the name itself, on an event loop
   * (blocking it for as long as DNS takes), bypassing the endpoint's own resolution. The name here is
   * {@code localhost}, which the JDK does resolve, while the endpoint's resolver says it does not: a
   * connection reaching the listener can only come from such a bypass.
   */
  @Test
  void aNameThatNeverResolvedIsNotDialledByTheHealthCheck() throws Exception {
    AtomicInteger lookups = new AtomicInteger();
    AtomicInteger accepted = new AtomicInteger();
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = new Thread(() -> {
        while (!listener.isClosed()) {
          try (Socket s = listener.accept()) {
            accepted.incrementAndGet();
          } catch (IOException e) {
            return;
          }
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
      PoolEndpoint endpoint = new PoolEndpoint("web", "localhost", listener.getLocalPort(), 3, 1, host -> {
        lookups.incrementAndGet();
        throw new UnknownHostException(host + ": not in this test's DNS");
      });
      BackendPool pool = new BackendPool(
          "web", List.of(endpoint), List.of(), ProxyHeaderSpec.NONE, BackendPool.Balance.ROUND_ROBIN,
          Duration.ofSeconds(1));
      Routing routing = new Routing(Map.of("web", pool), Optional.of("web"), Optional.empty(), true);
      EventLoopGroup group = Transport.NIO.newGroup(1, "health-test");
      try (HealthChecker checker = new HealthChecker(group, Transport.NIO)) {
        checker.watch(() -> routing, config().backends());
        // each check resolves, then (before the fix) dialled: by the third lookup the first two
        // dials have had two intervals to reach the listener
        await().atMost(Duration.ofSeconds(10)).until(() -> lookups.get() >= 3);
        assertThat(accepted.get()).as("connections the health check made").isZero();
        assertThat(endpoint.healthy()).isFalse();
        assertThat(endpoint.resolveFailure().orElseThrow().attempts()).isGreaterThanOrEqualTo(3);
      } finally {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      }
    }
  }

  private static EdgeProxyConfig config() throws Exception {
    return ConfigLoader.loadFromString(
        """
        node: {name: health-test}
        listeners:
          tls:
            bind: "127.0.0.1:8443"
        backends:
          web:
            tls: ["127.0.0.1:9"]
            proxyProtocol: none
            healthCheck: {interval: 100ms, timeout: 1s}
        defaultBackend: web
        allowlist:
          file:
            path: allowlist.yaml
        accessLog:
          format: none
        """,
        "edge-proxy.yaml",
        Map.of());
  }
}
