package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeproxy.e2e.support.ChildProcess;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.Ports;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.RawClient;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.Tools;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shipped monitoring (monitoring/): the rules pass promtool's check and unit tests, and a real
 * Prometheus scraping a running edge-proxy (with the rules loaded) answers every dashboard panel's
 * query with data once traffic has gone through.
 */
class MonitoringE2eTest {
  private static final Path MONITORING = Path.of("..", "monitoring").toAbsolutePath().normalize();
  private static final Path RULES = MONITORING.resolve("prometheus/edge-proxy.rules.yml");
  private static final Path RULE_TESTS = MONITORING.resolve("prometheus/edge-proxy.rules.test.yml");
  private static final Path DASHBOARD = MONITORING.resolve("grafana/edge-proxy.dashboard.json");
  private static final Duration PROMTOOL_TIMEOUT = Duration.ofSeconds(60);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  /**
   * Metric families that other changes add to the product (the build info and the held-back
   * gauge). While this build does not export one, a panel reading it can only be checked for its
   * query being valid, and the test says so on standard output.
   */
  private static final Set<String> ADDED_ELSEWHERE = Set.of("edge_build_info", "edge_allowlist_held_back");

  @RegisterExtension final DumpOnFailure dump = new DumpOnFailure();

  @Test
  void rulesPassPromtoolCheck() {
    Tools.require("promtool");
    Exec.Result check = Exec.run(List.of(Tools.path("promtool"), "check", "rules", RULES.toString()), PROMTOOL_TIMEOUT);

    assertThat(check.exitCode()).as(check.describe()).isZero();
    assertThat(check.stdout() + check.stderr()).as(check.describe()).contains("SUCCESS");
  }

  @Test
  void everyAlertHasPromtoolUnitTestsThatPass() throws IOException {
    Tools.require("promtool");
    Exec.Result test = Exec.run(List.of(Tools.path("promtool"), "test", "rules", RULE_TESTS.toString()), PROMTOOL_TIMEOUT);

    assertThat(test.exitCode()).as(test.describe()).isZero();
    String rules = Files.readString(RULES);
    String tests = Files.readString(RULE_TESTS);
    Matcher alert = Pattern.compile("(?m)^\\s*- alert: (\\S+)").matcher(rules);
    List<String> untested = new ArrayList<>();
    int alerts = 0;
    while (alert.find()) {
      alerts++;
      String name = alert.group(1);
      // fires in one evaluation (exp_alerts with labels) and is silent in another (exp_alerts: [])
      Matcher evals = Pattern.compile("alertname: " + name + "\\s*\\n\\s*exp_alerts:(\\s*\\[\\]|\\s*\\n\\s*- exp_labels)").matcher(tests);
      boolean fires = false;
      boolean silent = false;
      while (evals.find()) {
        fires |= evals.group(1).contains("exp_labels");
        silent |= evals.group(1).contains("[]");
      }
      if (!fires || !silent) {
        untested.add(name + (fires ? "" : " (never shown firing)") + (silent ? "" : " (never shown silent)"));
      }
    }
    assertThat(alerts).isGreaterThanOrEqualTo(11);
    assertThat(untested).as("alerts without a firing and a silent unit test").isEmpty();
  }

  @Test
  void everyDashboardQueryReturnsDataFromARealPrometheus() throws Exception {
    Tools.require("prometheus", "nginx", "openssl");
    int promPort = Ports.free();
    try (NginxBackend nginx = dump.watch(NginxBackend.start());
        EdgeProxyProcess proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
            .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
            .allow("www.example.test", "blocked.example.test")
            .deny("blocked.example.test")
            .clientHelloTimeout("1s")));
        ChildProcess prometheus = dump.watch(startPrometheus(proxy.adminPort(), promPort))) {
      await("Prometheus scrapes edge-proxy").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
          .ignoreExceptions()
          .until(() -> !result(promPort, "up{job=\"edge-proxy\"} == 1").isEmpty());

      driveTraffic(proxy);
      String exported = proxy.admin("/metrics").getValue();

      Map<String, String> queries = dashboardQueries();
      assertThat(queries).hasSizeGreaterThanOrEqualTo(20);
      Map<String, String> empty = new LinkedHashMap<>();
      List<String> presenceOnly = new ArrayList<>();
      await("every dashboard query returns data").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
          .untilAsserted(() -> {
            empty.clear();
            presenceOnly.clear();
            for (Map.Entry<String, String> q : queries.entrySet()) {
              if (!result(promPort, q.getValue()).isEmpty()) {
                continue;
              }
              String family = ADDED_ELSEWHERE.stream().filter(q.getValue()::contains).findFirst().orElse(null);
              if (family != null && !exported.contains("\n" + family)) {
                presenceOnly.add(q.getKey() + ": " + family + " is not exported by this build");
              } else {
                empty.put(q.getKey(), q.getValue());
              }
            }
            assertThat(empty).as("dashboard queries without data").isEmpty();
          });
      presenceOnly.forEach(p -> System.out.println("MonitoringE2eTest: checked for validity only, " + p));

      JsonNode rules = get(promPort, "/api/v1/rules").path("data").path("groups");
      List<String> unhealthy = new ArrayList<>();
      int count = 0;
      for (JsonNode group : rules) {
        for (JsonNode rule : group.path("rules")) {
          count++;
          if (!rule.path("health").asText().equals("ok")) {
            unhealthy.add(rule.path("name").asText() + ": " + rule.path("lastError").asText());
          }
        }
      }
      assertThat(count).as("rules loaded by Prometheus").isGreaterThanOrEqualTo(20);
      assertThat(unhealthy).as("rules Prometheus could not evaluate").isEmpty();
      assertThat(result(promPort, "ALERTS{alertstate=\"firing\", alertname=~\"EdgeProxy(Down|NotReady|PoolWithoutHealthyEndpoint)\"}"))
          .as("a healthy node raises no critical alert").isEmpty();
    }
  }

  /** Forwarded, refused and denied TLS connections, and one that never sends its ClientHello. */
  private static void driveTraffic(EdgeProxyProcess proxy) throws IOException {
    for (int i = 0; i < 5; i++) {
      TlsConnection.Reply reply = TlsConnection.get(TlsConnection.loopback(proxy.tlsPort()), "www.example.test", "/");
      assertThat(reply.status()).isEqualTo(200);
    }
    TlsConnection.failedHandshake(TlsConnection.loopback(proxy.tlsPort()), "stranger.example.test");
    TlsConnection.failedHandshake(TlsConnection.loopback(proxy.tlsPort()), "blocked.example.test");
    RawClient.Outcome silent = RawClient.sendAndAwaitClose(TlsConnection.loopback(proxy.tlsPort()), new byte[0], 10_000);
    assertThat(silent.closedByPeer()).as("closed after clientHelloTimeout: %s", silent.how()).isTrue();
    proxy.awaitAccessLog(silent.localPort());
  }

  /** Every panel target's query, by "panel title / refId", with the node variable set to all. */
  private static Map<String, String> dashboardQueries() throws IOException {
    JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
    Map<String, String> queries = new LinkedHashMap<>();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asText();
        assertThat(expr).as("query of %s", panel.path("title").asText()).isNotBlank();
        queries.put(panel.path("title").asText() + " / " + target.path("refId").asText(), expr.replace("$node", ".*"));
      }
    }
    return queries;
  }

  private static ChildProcess startPrometheus(int adminPort, int prometheusPort) throws IOException {
    Path dir = WorkDirs.create("prometheus");
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files: ["%s"]
        scrape_configs:
          - job_name: edge-proxy
            static_configs:
              - targets: ["127.0.0.1:%d"]
        """.formatted(RULES, adminPort));
    return ChildProcess.start("prometheus", List.of(
        Tools.path("prometheus"),
        "--config.file=" + config,
        "--storage.tsdb.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + prometheusPort,
        "--log.level=warn"), dir);
  }

  private static JsonNode result(int port, String query) throws IOException, InterruptedException {
    JsonNode answer = get(port, "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
    assertThat(answer.path("status").asText()).as("%s: %s", query, answer).isEqualTo("success");
    return answer.path("data").path("result");
  }

  private static JsonNode get(int port, String pathAndQuery) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(r.body());
  }
}
