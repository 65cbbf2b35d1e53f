package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.PrometheusText;
import dev.edgeproxy.e2e.support.ProxyChecks;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.StubBackend;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Pool endpoints named by DNS names whose resolution changes under the running jar. The jar resolves through a hosts
 * file the test edits ({@code -Djdk.net.hosts.file}) with the JDK's address caches off: {@code
 * networkaddress.cache.ttl} and {@code networkaddress.cache.negative.ttl} are <em>security</em> properties, so they go
 * in a file named by {@code -Djava.security.properties} (as {@code -D} system properties the JDK ignores them; the
 * system-property fallback {@code sun.net.inetaddr.negative.ttl} loses to the {@code 10} s that java.security sets on
 * JDK 17 and 25 alike).
 *
 * <ul>
 *   <li>{@code backend.fault.test} points at backend A (127.0.0.1); clients of {@code web.example.test} reach A.
 *   <li>The name is removed from the hosts file: within {@value #NOTICE_MILLIS} ms {@code /status} shows the resolve
 *       error and since when, {@code edge_backend_endpoint_resolve_failures_total} rises, one warning is logged (not
 *       one per attempt), and clients are still served by A from the last address.
 *   <li>The name comes back pointing at backend B (127.0.0.2, same port): within {@value #NOTICE_MILLIS} ms clients
 *       reach B, the error is cleared, "resolves again" is logged.
 *   <li>{@code never.fault.test} never resolved since start: its endpoint shows no address, the error, and {@code
 *       healthy: false}. Once a route sends traffic to its pool (SIGHUP), {@code /readyz} names the pool and clients
 *       are closed with reason {@code no_backend} within {@value #PROMPT_MILLIS} ms.
 * </ul>
 * Health checks (which resolve the names) run every second.
 */
class DnsEndpointFaultsE2eTest {

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  static final String NAME = "backend.fault.test";
  static final String NEVER = "never.fault.test";
  static final long NOTICE_MILLIS = 5_000;
  static final long PROMPT_MILLIS = 1_000;
  static final int SERVED = 4096;

  @Test
  void anEndpointNameThatStopsResolvingKeepsServingAndIsReportedThenFollowedWhenItMoves(TestReporter reporter)
      throws Exception {
    Path dir = WorkDirs.create("dns-faults");
    HostsFile hosts = new HostsFile(dir.resolve("hosts"));
    Path security = dir.resolve("dns-cache-off.security");
    Files.writeString(security, "networkaddress.cache.ttl=0\nnetworkaddress.cache.negative.ttl=0\n");
    hosts.write(Map.of(NAME, "127.0.0.1"));

    try (Backends backends = Backends.samePort()) {
      StubBackend a = dump.watch(backends.a);
      StubBackend b = dump.watch(backends.b);
      ProxyConfig config = new ProxyConfig()
          .pool(new ProxyConfig.Pool("web", List.of(NAME + ":" + a.port()), "none", null))
          .pool(new ProxyConfig.Pool("ghost", List.of(NEVER + ":" + a.port()), "none", null))
          .defaultBackend("web")
          .allow("web.example.test", "ghost.example.test")
          .healthCheckInterval("1s")
          .connectTimeout("1s")
          .env("JAVA_TOOL_OPTIONS", "-Djdk.net.hosts.file=" + hosts.path + " -Djava.security.properties=" + security);
      EdgeProxyProcess proxy = dump.watch(EdgeProxyProcess.start(config));
      List<String> figures = new ArrayList<>();
      try {
        JsonNode web = endpoint(proxy, "web");
        assertThat(web.path("host").asText()).isEqualTo(NAME);
        assertThat(web.path("address").asText()).isEqualTo("127.0.0.1");
        assertThat(web.path("resolveError").isNull()).as("resolveError while it resolves: %s", web).isTrue();
        assertServedBy(proxy, a, "web.example.test");

        // the name stops resolving
        hosts.write(Map.of());
        long removed = System.nanoTime();
        JsonNode failing = await("/status shows the resolve error").atMost(Duration.ofMillis(NOTICE_MILLIS))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> endpoint(proxy, "web"), e -> e.path("resolveError").isTextual());
        long noticed = millisSince(removed);
        figures.add("name removed: /status shows the error after " + noticed + " ms: " + failing);
        assertThat(failing.path("resolveError").asText()).contains(NAME);
        assertThat(failing.path("resolveFailingSince").isTextual()).isTrue();
        assertThat(failing.path("address").asText()).as("the last address kept").isEqualTo("127.0.0.1");
        assertThat(failing.path("healthy").asBoolean()).isTrue();
        for (int i = 0; i < 3; i++) {
          assertServedBy(proxy, a, "web.example.test");
        }
        await("several failed attempts").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
            .until(() -> endpoint(proxy, "web").path("resolveAttempts").asInt() >= 3);
        String metrics = ProxyChecks.metrics(proxy);
        double failures = PrometheusText.sum(metrics, "edge_backend_endpoint_resolve_failures_total",
            "pool=\"web\"");
        figures.add("edge_backend_endpoint_resolve_failures_total{pool=web} " + failures
            + ", edge_backend_endpoint_resolve_failing_seconds{pool=web} "
            + PrometheusText.sum(metrics, "edge_backend_endpoint_resolve_failing_seconds", "pool=\"web\""));
        assertThat(failures).isGreaterThanOrEqualTo(3);
        assertThat(proxy.logLines().stream().filter(l -> l.contains("keeping its last address 127.0.0.1")))
            .as("one warning for the change, not one per attempt").hasSize(1);
        assertThat(proxy.admin("/readyz").getKey()).as("still ready: the last address serves").isEqualTo(200);

        // the name comes back, pointing at B
        hosts.write(Map.of(NAME, "127.0.0.2"));
        long moved = System.nanoTime();
        int bBefore = b.streams();
        await("clients follow the name to B").atMost(Duration.ofMillis(NOTICE_MILLIS))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> {
              BackendFaultsE2eTest.client(proxy, "web.example.test", SERVED);
              return b.streams() > bBefore;
            });
        figures.add("name moved to 127.0.0.2: clients reach B after " + millisSince(moved) + " ms");
        JsonNode recovered = await("/status error cleared").atMost(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> endpoint(proxy, "web"), e -> e.path("resolveError").isNull());
        assertThat(recovered.path("address").asText()).isEqualTo("127.0.0.2");
        assertThat(recovered.path("resolveAttempts").asInt()).isZero();
        assertServedBy(proxy, b, "web.example.test");
        assertThat(proxy.logLines()).anyMatch(l -> l.contains("resolves again, to 127.0.0.2"));
        assertThat(PrometheusText.sum(ProxyChecks.metrics(proxy), "edge_backend_endpoint_resolve_failing_seconds",
            "pool=\"web\"")).isZero();

        // a name that never resolved since start
        JsonNode ghost = endpoint(proxy, "ghost");
        figures.add("never resolved: " + ghost);
        assertThat(ghost.path("address").isNull()).as("no address: %s", ghost).isTrue();
        assertThat(ghost.path("resolveError").asText()).contains(NEVER);
        assertThat(ghost.path("healthy").asBoolean(true)).isFalse();
        config.route("ghost", "ghost.example.test");
        proxy.rewriteConfig();
        proxy.signal("HUP");
        String reasons = await("/readyz names the pool of the unresolved name").atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> proxy.admin("/readyz"), r -> r.getKey() == 503).getValue();
        assertThat(reasons).contains("pool ghost has no healthy endpoint");
        figures.add("/readyz once routed: " + reasons.replace('\n', ' '));
        int aBefore = a.streams();
        for (int i = 0; i < 3; i++) {
          BackendFaultsE2eTest.Outcome refused = BackendFaultsE2eTest.client(proxy, "ghost.example.test", SERVED);
          assertThat(refused.received()).isZero();
          assertThat(refused.millis()).isLessThan(PROMPT_MILLIS);
          assertThat(refused.entry().reason()).as(refused.entry().line()).isEqualTo("no_backend");
          figures.add("client of the unresolved pool: closed after " + refused.millis() + " ms, "
              + refused.entry().decision() + "/" + refused.entry().reason());
        }
        assertThat(a.streams()).as("nothing dialled for the unresolved name").isEqualTo(aBefore);
        assertThat(proxy.alive()).isTrue();
      } finally {
        String report = "DNS endpoint faults:\n  " + String.join("\n  ", figures);
        System.out.println(report);
        reporter.publishEntry("dns endpoint faults", report);
        proxy.stop();
      }
    }
  }

  /** {@code /status pools.<pool>[0]}. */
  static JsonNode endpoint(EdgeProxyProcess proxy, String pool) throws IOException, InterruptedException {
    return ProxyChecks.firstEndpoint(proxy, pool);
  }

  /** A client of {@code host} gets {@value #SERVED} bytes, from {@code backend}. */
  static void assertServedBy(EdgeProxyProcess proxy, StubBackend backend, String host) throws Exception {
    int before = backend.streams();
    BackendFaultsE2eTest.Outcome served = BackendFaultsE2eTest.client(proxy, host, SERVED);
    assertThat(served.received()).as(served.entry().line()).isEqualTo(SERVED);
    assertThat(backend.streams()).as("served by %s", backend.diagnostics()).isEqualTo(before + 1);
  }

  static long millisSince(long nanos) {
    return (System.nanoTime() - nanos) / 1_000_000;
  }

  /**
   * The hosts file the jar resolves with. Besides the test's names it maps {@code localhost} and this machine's name,
   * which the JDK then also looks up there.
   */
  static final class HostsFile {
    final Path path;

    HostsFile(Path path) {
      this.path = path;
    }

    void write(Map<String, String> names) throws IOException {
      StringBuilder text = new StringBuilder("127.0.0.1 localhost\n::1 localhost\n");
      String self = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
      if (!self.isEmpty()) {
        text.append("127.0.0.1 ").append(self).append('\n');
      }
      names.forEach((name, ip) -> text.append(ip).append(' ').append(name).append('\n'));
      Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
      Files.writeString(tmp, text);
      Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /** Two pouring backends on one port: A on 127.0.0.1, B on 127.0.0.2 (a name moving keeps the port). */
  static final class Backends implements AutoCloseable {
    final StubBackend a;
    final StubBackend b;

    private Backends(StubBackend a, StubBackend b) {
      this.a = a;
      this.b = b;
    }

    static Backends samePort() throws IOException {
      BindException last = null;
      for (int attempt = 0; attempt < 5; attempt++) {
        StubBackend a = StubBackend.pouringOn(InetAddress.getByName("127.0.0.1"), 0, SERVED);
        try {
          return new Backends(a, StubBackend.pouringOn(InetAddress.getByName("127.0.0.2"), a.port(), SERVED));
        } catch (BindException e) {
          a.close(); // the port is taken on 127.0.0.2: another pair
          last = e;
        }
      }
      throw last;
    }

    @Override
    public void close() throws IOException {
      try {
        a.close();
      } finally {
        b.close();
      }
    }
  }
}
