package dev.edgeproxy.e2e;

import static dev.edgeproxy.e2e.support.ProxyChecks.assertRefused;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitSourceSuccess;
import static dev.edgeproxy.e2e.support.ProxyChecks.source;
import static dev.edgeproxy.e2e.support.Route53Stub.a;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.FaultyRelay;
import dev.edgeproxy.e2e.support.GitDaemon;
import dev.edgeproxy.e2e.support.GitRepo;
import dev.edgeproxy.e2e.support.ProcessFigures;
import dev.edgeproxy.e2e.support.PrometheusText;
import dev.edgeproxy.e2e.support.ProxyChecks;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.Route53Stub;
import dev.edgeproxy.e2e.support.StubBackend;
import dev.edgeproxy.e2e.support.Tools;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Git and Route53 sources failing for several intervals in a row while the real jar serves: both sources run
 * every second with a 2 s fetch deadline ({@code timeout}); the Git remote is {@code git daemon} and Route53 is
 * WireMock, each behind a {@link FaultyRelay}. Phases, each lasting until both sources have failed at least
 * {@value #ATTEMPTS} times (2 for the slow phase, whose attempts each take the deadline):
 *
 * <ol>
 *   <li><b>down</b>: nothing listens on either port (connection refused);
 *   <li><b>slow</b>: the Git remote accepts and never answers; Route53 answers after {@value #SLOW_MILLIS} ms, with a
 *       list that would add a host;
 *   <li><b>garbage</b>: a pushed commit whose allowlist.yaml is broken YAML; Route53 answers 200 with an HTML page;
 *   <li><b>wrong shape</b>: Route53 answers 200 with well-formed XML of another API (ListHostedZones).
 * </ol>
 * Throughout, checked about every second: the hosts of the last good lists are forwarded, others refused (also the
 * host the slow Route53 answer would add); {@code /status} says {@code failing} with the error, {@code lastSuccess}
 * stays put, {@code edge_allowlist_source_failing_seconds} grows, {@code edge_allowlist_sync_total} error/timed_out
 * counts each attempt; {@code /readyz} stays 200. Then both recover with new lists: applied within {@value
 * #RECOVER_MILLIS} ms. Open descriptors stay within {@value #FD_SLACK} of the start at every sample; heap after a
 * full GC within {@value #HEAP_SLACK_MIB} MiB.
 */
class SourceFaultsE2eTest {

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  static final String ZONE = "Z1EXAMPLE";
  static final String HERE = "203.0.113.10";
  static final int SERVED = 1024;
  static final int ATTEMPTS = 3;
  static final int SLOW_MILLIS = 4_000;
  static final long RECOVER_MILLIS = 10_000;
  static final long FD_SLACK = 16;
  static final long HEAP_SLACK_MIB = 32;
  static final List<String> SOURCES = List.of("git", "route53");

  @Test
  void gitAndRoute53DownSlowOrGarbageForSeveralIntervalsKeepTheLastGoodListsAndRecover(TestReporter reporter)
      throws Exception {
    Tools.require("git");
    GitRepo repo = dump.watch(GitRepo.create());
    repo.commitAllowList(List.of("git-keep.example.test"), "first list");
    try (GitDaemon daemon = dump.watch(GitDaemon.serve(repo.servedDirectory()));
        FaultyRelay gitRelay = dump.watch(FaultyRelay.to(URI.create(daemon.url("x")).getPort()));
        Route53Stub route53 = dump.watch(Route53Stub.start(ZONE));
        FaultyRelay route53Relay = dump.watch(FaultyRelay.to(URI.create(route53.endpoint()).getPort()));
        StubBackend backend = dump.watch(StubBackend.pouring(SERVED, 0))) {
      route53.onePage(a("r53-keep.example.test.", HERE));
      EdgeProxyProcess proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
          .pool(new ProxyConfig.Pool("web", List.of("127.0.0.1:" + backend.port()), "none", null))
          .allow()
          .git(new ProxyConfig.GitSource("git://127.0.0.1:" + gitRelay.port() + "/allowlist.git", "1s", null))
          .route53(new ProxyConfig.Route53Source(List.of(ZONE), List.of(HERE), "1s",
              "http://127.0.0.1:" + route53Relay.port()))
          .sourceFetchTimeout("2s")
          .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
          .env("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
          .env("AWS_EC2_METADATA_DISABLED", "true")));
      List<String> figures = new ArrayList<>();
      try {
        for (String s : SOURCES) {
          awaitSourceSuccess(proxy, s, Duration.ofSeconds(20));
        }
        Phases phases = new Phases(proxy, ProcessFigures.sample(proxy, true));
        phases.checkServing();

        figures.add(phases.run("down: connection refused", ATTEMPTS, () -> {
          gitRelay.mode(FaultyRelay.Mode.REFUSE);
          route53Relay.mode(FaultyRelay.Mode.REFUSE);
        }));
        figures.add(phases.run("slow: Git stalls, Route53 answers after " + SLOW_MILLIS + " ms", 2, () -> {
          gitRelay.mode(FaultyRelay.Mode.STALL);
          route53.slowPage(SLOW_MILLIS, a("r53-keep.example.test.", HERE), a("r53-new.example.test.", HERE));
          route53Relay.mode(FaultyRelay.Mode.FORWARD);
        }));
        figures.add(phases.run("garbage: broken YAML pushed, Route53 200 with HTML", ATTEMPTS, () -> {
          repo.commitFile("allow:\n  - \"git-keep.example.test\"\n  - [unclosed\n", "broken YAML");
          gitRelay.mode(FaultyRelay.Mode.FORWARD);
          route53.answer200("<html><body><h1>502 Bad Gateway</h1></body></html>");
        }));
        assertThat(source(proxy, "git").path("lastError").asText()).contains("allowlist.yaml");
        figures.add(phases.run("wrong shape: Route53 200 with ListHostedZones XML", ATTEMPTS, () ->
            route53.answer200("<?xml version=\"1.0\"?>\n<ListHostedZonesResponse xmlns=\"" + Route53Stub.NS
                + "\"><HostedZones/><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>"
                + "</ListHostedZonesResponse>")));

        // both recover, each with a new host
        long fixed = System.nanoTime();
        repo.commitAllowList(List.of("git-keep.example.test", "git-new.example.test"), "fixed list");
        route53.onePage(a("r53-keep.example.test.", HERE), a("r53-new.example.test.", HERE));
        for (String host : List.of("git-new.example.test", "r53-new.example.test")) {
          await(host + " forwarded after recovery").atMost(Duration.ofMillis(RECOVER_MILLIS))
              .pollInterval(Duration.ofMillis(200)).until(() -> phases.served(host));
          figures.add("recovered: " + host + " forwarded " + (System.nanoTime() - fixed) / 1_000_000
              + " ms after the fix");
        }
        for (String s : SOURCES) {
          await(s + " error cleared").atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200))
              .until(() -> source(proxy, s).path("lastError").isNull());
          assertThat(source(proxy, s).path("state").asText()).isEqualTo("ok");
        }
        assertThat(phases.failingSeconds("git") + phases.failingSeconds("route53")).isZero();
        ProcessFigures after = ProcessFigures.sample(proxy, true);
        figures.add("before: " + phases.before + "\n  peak:   " + phases.peak + "\n  after:  " + after);
        assertThat(after.openFds() - phases.before.openFds()).as("descriptor growth").isLessThanOrEqualTo(FD_SLACK);
        assertThat(after.heap() - phases.before.heap()).as("heap growth").isLessThan(HEAP_SLACK_MIB << 20);
        assertThat(proxy.alive()).isTrue();
      } finally {
        String report = "source faults:\n  " + String.join("\n  ", figures);
        System.out.println(report);
        reporter.publishEntry("source faults", report);
        proxy.stop();
      }
    }
  }

  interface Fault {
    void start() throws Exception;
  }

  /** Runs the fault phases against one proxy, checking what must hold throughout, and keeps the figures. */
  static final class Phases {
    final EdgeProxyProcess proxy;
    final ProcessFigures before;
    ProcessFigures peak;
    /** Each source's lastSuccess as first seen failing: the last good run before the faults began. */
    final Map<String, String> lastSuccess = new HashMap<>();
    Instant faultsBegan;
    double previousFailingSeconds;

    Phases(EdgeProxyProcess proxy, ProcessFigures before) {
      this.proxy = proxy;
      this.before = before;
      this.peak = before;
    }

    /** Starts {@code fault}, then checks every second until each source has failed {@code attempts} more times. */
    String run(String name, int attempts, Fault fault) throws Exception {
      String metrics = ProxyChecks.metrics(proxy);
      Map<String, Double> failedBefore = Map.of("git", failures(metrics, "git"),
          "route53", failures(metrics, "route53"));
      long start = System.nanoTime();
      if (faultsBegan == null) {
        faultsBegan = Instant.now();
      }
      fault.start();
      AtomicReference<String> firstSeen = new AtomicReference<>();
      await(name + ": " + attempts + " failed attempts of each source").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofSeconds(1)).until(() -> {
            checkServing();
            String now = ProxyChecks.metrics(proxy);
            double git = failures(now, "git") - failedBefore.get("git");
            double r53 = failures(now, "route53") - failedBefore.get("route53");
            if (git >= 1 && r53 >= 1 && firstSeen.get() == null) {
              firstSeen.set((System.nanoTime() - start) / 1_000_000 + " ms");
            }
            return git >= attempts && r53 >= attempts;
          });
      JsonNode status = ProxyChecks.status(proxy).path("sources");
      StringBuilder figure = new StringBuilder(name).append(": both failing within ").append(firstSeen.get())
          .append(", ").append(attempts).append("+ failures each after ")
          .append((System.nanoTime() - start) / 1_000_000).append(" ms");
      double failing = Double.MAX_VALUE;
      for (String s : SOURCES) {
        JsonNode src = status.path(s);
        assertThat(src.path("state").asText()).as("%s state: %s", s, src).isEqualTo("failing");
        assertThat(src.path("lastError").asText()).as("%s lastError", s).isNotBlank();
        String success = src.path("lastSuccess").asText();
        // a run that had its answer just before the fault began may be recorded a moment after
        assertThat(Instant.parse(success)).as("%s lastSuccess before the faults", s)
            .isBefore(faultsBegan.plusSeconds(1));
        assertThat(success).as("%s lastSuccess stays at the last good run", s)
            .isEqualTo(lastSuccess.computeIfAbsent(s, k -> success));
        double seconds = failingSeconds(s);
        failing = Math.min(failing, seconds);
        String error = src.path("lastError").asText();
        figure.append("\n    ").append(s).append(": failing ").append((long) seconds).append(" s, lastError: ")
            .append(error.length() > 160 ? error.substring(0, 160) + "..." : error);
      }
      assertThat(failing).as("edge_allowlist_source_failing_seconds grows through the phases")
          .isGreaterThanOrEqualTo(previousFailingSeconds);
      previousFailingSeconds = failing;
      assertThat(proxy.admin("/readyz").getKey()).as("ready on the last good lists").isEqualTo(200);
      ProcessFigures now = ProcessFigures.sample(proxy, false);
      figure.append("\n    ").append(now);
      return figure.toString();
    }

    /** The last good lists serve: their hosts forwarded, anything else refused; descriptors bounded. */
    void checkServing() throws Exception {
      assertThat(served("git-keep.example.test")).as("git-keep forwarded").isTrue();
      assertThat(served("r53-keep.example.test")).as("r53-keep forwarded").isTrue();
      assertRefused(proxy, "nobody.example.test");
      assertRefused(proxy, "r53-new.example.test");
      ProcessFigures now = ProcessFigures.sample(proxy, false);
      peak = peak.max(now);
      assertThat(now.openFds() - before.openFds()).as("descriptors now: %s", now).isLessThanOrEqualTo(FD_SLACK);
    }

    boolean served(String host) throws Exception {
      BackendFaultsE2eTest.Outcome outcome = BackendFaultsE2eTest.client(proxy, host, SERVED);
      return outcome.received() == SERVED && outcome.entry().decision().equals("forwarded");
    }

    double failingSeconds(String source) throws Exception {
      return PrometheusText.sum(ProxyChecks.metrics(proxy), "edge_allowlist_source_failing_seconds",
          "source=\"" + source + "\"");
    }

    /** Runs of {@code source} that ended in an error or were cut at the deadline. */
    static double failures(String metrics, String source) {
      String tag = "source=\"" + source + "\"";
      return PrometheusText.sum(metrics, "edge_allowlist_sync_total", "outcome=\"error\"," + tag)
          + PrometheusText.sum(metrics, "edge_allowlist_sync_total", "outcome=\"timed_out\"," + tag);
    }
  }
}
