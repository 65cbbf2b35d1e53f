package dev.edgeproxy.e2e;

import static dev.edgeproxy.e2e.support.ProxyChecks.assertForwarded;
import static dev.edgeproxy.e2e.support.ProxyChecks.assertRefused;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitForwarded;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitSourceError;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitSourceSuccess;
import static dev.edgeproxy.e2e.support.ProxyChecks.source;
import static dev.edgeproxy.e2e.support.Route53Stub.a;
import static dev.edgeproxy.e2e.support.Route53Stub.alias;
import static dev.edgeproxy.e2e.support.Route53Stub.cname;
import static dev.edgeproxy.e2e.support.Route53Stub.ns;
import static dev.edgeproxy.e2e.support.Route53Stub.weightedA;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyChecks;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.Route53Stub;
import dev.edgeproxy.e2e.support.Tools;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The allow-list from Route53: the proxy's real AWS SDK client against WireMock speaking Route53's XML. Which SNI
 * the proxy forwards follows the record sets that point at this node; API failures keep the last list.
 */
class Route53SourceE2eTest {

  static final String ZONE = "Z1EXAMPLE";
  /** This node: its IP, the entrance name CNAMEs point to, and the load balancer that aliases point to. */
  static final List<String> POINTING_AT =
      List.of("203.0.113.10", "entrance.example.test", "edge-lb-1.eu-west-1.elb.amazonaws.com");

  /** Page 1 ends inside the weighted set of api.example.test: its member pointing here is on page 2. */
  static final List<String> PAGE_1 = List.of(
      ns("example.test."),
      a("\\052.apps.example.test.", "203.0.113.10"),
      weightedA("api.example.test.", "edge-1", 70, "198.51.100.1"));
  static final Route53Stub.NextRecord NEXT = new Route53Stub.NextRecord("api.example.test.", "A", "edge-2");
  static final List<String> PAGE_2 = List.of(
      weightedA("api.example.test.", "edge-2", 30, "203.0.113.10"),
      cname("www.example.test.", "Entrance.Example.test."),
      alias("eu.example.test.", "dualstack.edge-lb-1.eu-west-1.elb.amazonaws.com."),
      a("other.example.test.", "198.51.100.7"),
      cname("shop.example.test.", "shops.example.net."));

  @RegisterExtension final DumpOnFailure dump = new DumpOnFailure();

  NginxBackend nginx;
  Route53Stub route53;
  EdgeProxyProcess proxy;

  @BeforeEach
  void start() {
    Tools.require("nginx", "openssl");
    nginx = dump.watch(NginxBackend.start());
    route53 = dump.watch(Route53Stub.start(ZONE));
  }

  @AfterEach
  void stop() {
    try {
      if (proxy != null) {
        proxy.stop();
      }
    } finally {
      route53.close();
      nginx.close();
    }
  }

  static ProxyConfig config(NginxBackend nginx, Route53Stub route53) {
    return new ProxyConfig()
        .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
        .allow()
        .route53(new ProxyConfig.Route53Source(List.of(ZONE), POINTING_AT, "1s", route53.endpoint()))
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        .env("AWS_EC2_METADATA_DISABLED", "true");
  }

  @Test
  void recordsPointingHereAreForwardedAndApiFailuresKeepTheList() throws Exception {
    route53.twoPages(PAGE_1, NEXT, PAGE_2);
    proxy = dump.watch(EdgeProxyProcess.start(config(nginx, route53)));
    awaitSourceSuccess(proxy, "route53", Duration.ofSeconds(20));

    assertForwarded(proxy, "api.example.test");          // weighted set split across pages, one member here
    assertForwarded(proxy, "grafana.apps.example.test"); // \052 wildcard
    assertForwarded(proxy, "www.example.test");          // CNAME to the entrance name (case and dot ignored)
    assertForwarded(proxy, "eu.example.test");           // alias to dualstack.<the load balancer>
    assertRefused(proxy, "other.example.test");          // A record pointing elsewhere
    assertRefused(proxy, "shop.example.test");           // CNAME elsewhere
    assertRefused(proxy, "a.b.apps.example.test");       // the wildcard covers one label only
    assertRefused(proxy, "example.test");                // the zone apex has only NS here
    assertThat(source(proxy, "route53").path("lastError").isNull()).isTrue();
    assertThat(route53.listCalls()).as("both pages asked for").isGreaterThanOrEqualTo(2);

    // throttled: the SDK retries, then the run fails; the list stays and the error is visible
    route53.throttle();
    String throttled = awaitSourceError(proxy, "route53", Duration.ofSeconds(20));
    assertThat(throttled).as("route53 lastError").containsIgnoringCase("throttl");
    assertForwarded(proxy, "api.example.test");
    assertForwarded(proxy, "grafana.apps.example.test");
    assertRefused(proxy, "other.example.test");
    await("edge_allowlist_sync_total{source=route53,outcome=error} in /metrics").atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> syncErrors(ProxyChecks.metrics(proxy)) >= 1);

    // 500s: another error, still the same list
    route53.fail500();
    await("route53 lastError shows the 500").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250))
        .until(() -> {
          String error = source(proxy, "route53").path("lastError").asText("");
          return error.contains("500") || error.contains("InternalFailure");
        });
    assertForwarded(proxy, "www.example.test");
    assertForwarded(proxy, "eu.example.test");
    assertThat(proxy.admin("/readyz").getKey()).as("ready on the last good list").isEqualTo(200);

    // a 200 whose XML is cut off: an error too, never an empty list
    route53.malformed();
    await("route53 lastError changes for malformed XML").atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> {
          String error = source(proxy, "route53").path("lastError").asText("");
          return !error.isEmpty() && !error.contains("500") && !error.contains("InternalFailure");
        });
    assertForwarded(proxy, "api.example.test");
    assertRefused(proxy, "cut.example.test");

    // Route53 answers again, with other.example.test now pointing here: followed, error cleared
    route53.onePage(a("other.example.test.", "203.0.113.10"), weightedA("api.example.test.", "edge-2", 30,
        "203.0.113.10"), a("\\052.apps.example.test.", "203.0.113.10"), cname("www.example.test.",
        "entrance.example.test."), alias("eu.example.test.", "dualstack.edge-lb-1.eu-west-1.elb.amazonaws.com."));
    awaitForwarded(proxy, "other.example.test", Duration.ofSeconds(20));
    await("route53 lastError cleared").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
        .until(() -> source(proxy, "route53").path("lastError").isNull());
    assertThat(proxy.logLines()).as("the source error is logged")
        .anyMatch(line -> line.toLowerCase().contains("route53") && line.toLowerCase().contains("throttl"));
  }

  private static final Pattern SYNC_ERRORS = Pattern.compile(
      "(?m)^edge_allowlist_sync_total\\{([^}]*)\\} ([0-9.eE+]+)$");

  /** The value of edge_allowlist_sync_total{source="route53",outcome="error"} (other labels allowed), or 0. */
  static double syncErrors(String metrics) {
    Matcher m = SYNC_ERRORS.matcher(metrics);
    double total = 0;
    while (m.find()) {
      if (m.group(1).contains("source=\"route53\"") && m.group(1).contains("outcome=\"error\"")) {
        total += Double.parseDouble(m.group(2));
      }
    }
    return total;
  }
}
