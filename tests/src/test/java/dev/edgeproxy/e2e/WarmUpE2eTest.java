package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.e2e.support.AccessLogEntry;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyChecks;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.Teardown;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.Tools;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Warm-up before readiness, against the real jar: with the product's default count it runs before
 * the public listeners open, within its bounds, counted in its own series only; the reserved name it
 * uses is refused from outside like any unlisted name; {@code warmUpConnections: 0} turns it off.
 */
class WarmUpE2eTest {
  /** The product's default {@code node.warmUpConnections} (README, Warm-up). */
  private static final int DEFAULT_COUNT = 5000;
  /** The product's wall-time bound on the warm-up, in seconds. */
  private static final int MAX_SECONDS = 60;
  private static final String RESERVED_NAME = "warm-up.edge-proxy.invalid";
  private static final Pattern SUMMARY = Pattern.compile("warm-up: (\\d+) of (\\d+) connections .* in (\\d+) ms .*, (\\d+) failed");

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  static NginxBackend nginx;
  static EdgeProxyProcess proxy;

  @BeforeAll
  static void start() {
    Tools.require("nginx", "openssl");
    nginx = dump.watch(NginxBackend.start());
    // The default count; leak detection at its sampling level, as thousands of paranoid records
    // would make the warm-up measure the detector (the other suites run it with paranoid).
    proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
        .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
        .allow("www.example.test")
        .warmUpConnections(null)
        .leakDetection("simple")));
  }

  @AfterAll
  static void stop() throws Exception {
    Teardown.stopThenClose(proxy, nginx);
  }

  @Test
  void theDefaultWarmUpRunsBeforeThePublicListenersOpenWithinItsBounds() {
    List<String> log = proxy.logLines();
    int summary = indexOf(log, "warm-up: ");
    int tlsListening = indexOf(log, "listening on /127.0.0.1:" + proxy.tlsPort() + " (tls");
    int ready = indexOf(log, "edge-proxy ready");
    assertThat(summary).as("warm-up summary in %s", log).isNotNegative();
    assertThat(summary).as("warm-up before the TLS port opens").isLessThan(tlsListening);
    assertThat(tlsListening).isLessThan(ready);

    Matcher m = SUMMARY.matcher(log.get(summary));
    assertThat(m.find()).as(log.get(summary)).isTrue();
    int completed = Integer.parseInt(m.group(1));
    assertThat(Integer.parseInt(m.group(2))).as("asked").isEqualTo(DEFAULT_COUNT);
    assertThat(completed).as("completed, bounded by the count").isPositive().isLessThanOrEqualTo(DEFAULT_COUNT);
    assertThat(Long.parseLong(m.group(3))).as("ms, bounded by the time bound plus closing")
        .isLessThanOrEqualTo((MAX_SECONDS + 5) * 1000L);
    assertThat(Integer.parseInt(m.group(4))).as("failed").isLessThanOrEqualTo(64);
  }

  @Test
  void warmUpConnectionsAreCountedInTheirOwnSeriesOnlyAndNeverInTheAccessLog() throws Exception {
    String metrics = ProxyChecks.metrics(proxy);
    Matcher completed = Pattern.compile("(?m)^edge_warmup_connections\\{[^}]*outcome=\"completed\"[^}]*\\} (\\d+)")
        .matcher(metrics);
    assertThat(completed.find()).as(metrics).isTrue();
    assertThat(Integer.parseInt(completed.group(1))).isPositive();
    assertThat(metrics).contains("edge_warmup_duration_seconds").contains("edge_warmup_cpu_seconds")
        .doesNotContain("listener=\"warm-up\"").doesNotContainPattern("pool=\"warm-up\"");
    assertThat(proxy.accessLog()).noneMatch(e -> RESERVED_NAME.equals(e.host()));
  }

  @Test
  void theReservedNameFromOutsideIsRefusedLikeAnyUnlistedName() throws Exception {
    TlsConnection.FailedHandshake refused =
        TlsConnection.failedHandshake(TlsConnection.loopback(proxy.tlsPort()), RESERVED_NAME);

    assertThat(refused.error()).as("the handshake fails").isNotNull();
    AccessLogEntry entry = proxy.awaitAccessLog(refused.localPort());
    assertThat(entry.decision()).as(entry.line()).isEqualTo("refused");
    assertThat(entry.reason()).as(entry.line()).isEqualTo("not_allowed");
    assertThat(entry.has("endpoint")).as("nothing forwarded: %s", entry.line()).isFalse();
    assertThat(nginx.accessLog()).noneMatch(line -> line.contains(RESERVED_NAME));
  }

  @Test
  void zeroTurnsItOff() throws Exception {
    try (EdgeProxyProcess off = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
        .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
        .allow("www.example.test")
        .warmUpConnections(0)))) {
      assertThat(off.logLines()).anyMatch(l -> l.contains("warm-up off (node.warmUpConnections: 0)"))
          .noneMatch(l -> l.contains("warm-up: "));
      assertThat(ProxyChecks.metrics(off))
          .containsPattern("(?m)^edge_warmup_connections\\{[^}]*outcome=\"completed\"[^}]*\\} 0");
    }
  }

  private static int indexOf(List<String> lines, String text) {
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i;
      }
    }
    return -1;
  }
}
