package dev.edgeproxy.server.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.Provenance;
import dev.edgeproxy.allowlist.SourceEntry;
import dev.edgeproxy.allowlist.SourceList;
import dev.edgeproxy.allowlist.SourceRoute;
import dev.edgeproxy.server.pool.BackendPool;
import dev.edgeproxy.server.pool.PoolEndpoint;
import dev.edgeproxy.server.pool.Routing;
import dev.edgeproxy.sni.ConnectionInfo;
import dev.edgeproxy.sni.ProxyHeaderSpec;
import dev.edgeproxy.sni.Reason;
import dev.edgeproxy.sni.RouteDecision;
import dev.edgeproxy.sni.RouteRequest;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AllowListRouteResolverTest {
  private static final ConnectionInfo CONN =
      new ConnectionInfo(
          "c1", "tls", new InetSocketAddress("127.0.0.1", 40000), new InetSocketAddress("127.0.0.1", 443));

  private static SourceEntry entry(String pattern) {
    return new SourceEntry(HostPattern.parse(pattern), new Provenance("file", "allowlist.yaml line 1"));
  }

  private static final AllowListSnapshot SNAPSHOT =
      AllowListSnapshot.build(
          List.of(
              new SourceRoute(
                  List.of(HostPattern.parse("git.example.com")),
                  "forgejo",
                  new Provenance("config", "routes[0]"))),
          Map.of(
              "file",
              new SourceList(
                  "file",
                  "r1",
                  List.of(
                      entry("grafana.example.com"),
                      entry("*.apps.example.com"),
                      entry("admin.example.com"),
                      entry("git.example.com"),
                      entry("xn--bcher-kva.example.com")),
                  List.of(entry("admin.example.com")),
                  List.of())));

  private static BackendPool pool(String name, int endpoints) {
    List<PoolEndpoint> eps =
        java.util.stream.IntStream.range(0, endpoints)
            .mapToObj(i -> new PoolEndpoint(name, "127.0.0." + (i + 1), 443, 3, 2))
            .peek(PoolEndpoint::resolve)
            .toList();
    return new BackendPool(
        name, eps, List.of(), ProxyHeaderSpec.V2_WITH_TLVS, BackendPool.Balance.ROUND_ROBIN, Duration.ofSeconds(1));
  }

  private static Routing routing(boolean enforce, Optional<String> noSni) {
    return new Routing(
        Map.of("traefik", pool("traefik", 2), "forgejo", pool("forgejo", 1), "empty", pool("empty", 0)),
        Optional.of("traefik"),
        noSni,
        enforce);
  }

  private static RouteDecision resolve(Routing routing, String sni) {
    return new AllowListRouteResolver(AllowListRouteResolver.Listener.TLS, () -> routing, () -> SNAPSHOT)
        .resolve(new RouteRequest(CONN, sni, List.of(), false));
  }

  @ParameterizedTest(name = "{0} -> {1} {2}")
  @CsvSource({
    "grafana.example.com, forward, traefik",
    "GRAFANA.Example.COM., forward, traefik",
    "a.apps.example.com, forward, traefik",
    "git.example.com, forward, forgejo",
    "xn--bcher-kva.example.com, forward, traefik",
    "a.b.apps.example.com, refuse, not_allowed",
    "apps.example.com, refuse, not_allowed",
    "admin.example.com, refuse, denied",
    "internal.example.com, refuse, not_allowed",
    "bad_name.example.com, refuse, invalid_host",
    "-x.example.com, refuse, invalid_host",
  })
  void decidesByTheSnapshot(String sni, String kind, String detail) {
    RouteDecision d = resolve(routing(true, Optional.empty()), sni);
    if (kind.equals("forward")) {
      assertThat(d).isInstanceOf(RouteDecision.Forward.class);
      RouteDecision.Forward f = (RouteDecision.Forward) d;
      assertThat(f.pool()).isEqualTo(detail);
      assertThat(f.wouldRefuseReason()).isNull();
      assertThat(f.proxyHeader().authorityTlv()).isTrue();
      assertThat(f.host()).isEqualTo(dev.edgeproxy.allowlist.HostName.parse(sni).value());
    } else {
      assertThat(d).isInstanceOf(RouteDecision.Refuse.class);
      RouteDecision.Refuse r = (RouteDecision.Refuse) d;
      assertThat(r.why().wireName()).isEqualTo(detail);
      assertThat(r.alert()).isTrue();
    }
  }

  /**
   * An SNI is ASCII (RFC 6066: A-labels); the parser keeps each byte as one ISO-8859-1 char. Such
   * a name was run through IDNA and judged as an A-label of other bytes than the backend reads:
   * the UTF-8 bytes of "İnternal" (C4 B0) became "Ä°nternal", xn--nternal-…, allowed by a wildcard,
   * while an ingress that lower-cases with Unicode rules (Go's strings.ToLower: İ → i, Traefik's
   * HostSNI) routes the same bytes to "internal", a denied host.
   */
  @ParameterizedTest
  @ValueSource(strings = {
    "\u00c4\u00b0nternal.apps.example.com", // the UTF-8 bytes of İnternal.apps.example.com (C4 B0)
    "b\u00c3\u00bccher.example.com", // the UTF-8 bytes of bücher.example.com (C3 BC)
    "b\u00fccher.example.com", // not UTF-8 at all (Latin-1 ü)
  })
  void aNonAsciiServerNameIsInvalidNotAnotherName(String sni) {
    for (boolean enforce : new boolean[] {true, false}) {
      assertThat(resolve(routing(enforce, Optional.empty()), sni))
          .as("%s, enforce %s", sni, enforce)
          .isEqualTo(new RouteDecision.Refuse(Reason.INVALID_HOST, null, true));
    }
  }

  @Test
  void noSniIsRefusedWithAnAlertUnlessAPoolIsNamed() {
    RouteDecision refused = resolve(routing(true, Optional.empty()), null);
    assertThat(refused).isEqualTo(new RouteDecision.Refuse(Reason.NO_SNI, null, true));

    RouteDecision forwarded = resolve(routing(true, Optional.of("forgejo")), null);
    assertThat(forwarded).isInstanceOf(RouteDecision.Forward.class);
    RouteDecision.Forward f = (RouteDecision.Forward) forwarded;
    assertThat(f.pool()).isEqualTo("forgejo");
    assertThat(f.host()).isNull();
    assertThat(f.proxyHeader().authorityTlv()).as("no AUTHORITY TLV without a name").isFalse();
    assertThat(f.proxyHeader().uniqueIdTlv()).isTrue();
  }

  @Test
  void shadowModeForwardsWhatWouldBeRefusedByTheListButNotBadNames() {
    Routing shadow = routing(false, Optional.empty());
    RouteDecision.Forward notAllowed = (RouteDecision.Forward) resolve(shadow, "unknown.example.com");
    assertThat(notAllowed.wouldRefuseReason()).isEqualTo(Reason.NOT_ALLOWED);
    assertThat(notAllowed.pool()).isEqualTo("traefik");
    RouteDecision.Forward denied = (RouteDecision.Forward) resolve(shadow, "admin.example.com");
    assertThat(denied.wouldRefuseReason()).isEqualTo(Reason.DENIED);
    assertThat(resolve(shadow, "bad_name.example.com"))
        .isEqualTo(new RouteDecision.Refuse(Reason.INVALID_HOST, null, true));
    assertThat(resolve(shadow, null)).isEqualTo(new RouteDecision.Refuse(Reason.NO_SNI, null, true));
  }

  @Test
  void missingOrEmptyPoolIsNoBackendWithoutAnAlert() {
    Routing noDefault =
        new Routing(Map.of("empty", pool("empty", 0)), Optional.of("empty"), Optional.empty(), true);
    assertThat(resolve(noDefault, "grafana.example.com"))
        .isEqualTo(new RouteDecision.Refuse(Reason.NO_BACKEND, "grafana.example.com", false));
    Routing unknownDefault = new Routing(Map.of(), Optional.of("nope"), Optional.empty(), true);
    assertThat(resolve(unknownDefault, "grafana.example.com"))
        .isEqualTo(new RouteDecision.Refuse(Reason.NO_BACKEND, "grafana.example.com", false));
  }

  @Test
  void httpListenerUsesThePoolsHttpEndpoints() {
    PoolEndpoint http = new PoolEndpoint("traefik", "127.0.0.9", 80, 3, 2);
    http.resolve();
    BackendPool pool =
        new BackendPool(
            "traefik",
            List.of(),
            List.of(http),
            ProxyHeaderSpec.V2_WITH_TLVS,
            BackendPool.Balance.ROUND_ROBIN,
            Duration.ofSeconds(1));
    Routing r = new Routing(Map.of("traefik", pool), Optional.of("traefik"), Optional.empty(), true);
    RouteDecision.Forward f =
        (RouteDecision.Forward)
            new AllowListRouteResolver(AllowListRouteResolver.Listener.HTTP, () -> r, () -> SNAPSHOT)
                .resolve(new RouteRequest(CONN, "grafana.example.com", List.of(), false));
    assertThat(f.candidates()).extracting(u -> u.label()).containsExactly("127.0.0.9:80");
  }
}
