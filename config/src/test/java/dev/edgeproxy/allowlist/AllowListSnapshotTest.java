package dev.edgeproxy.allowlist;

import static dev.edgeproxy.allowlist.Lists.allow;
import static dev.edgeproxy.allowlist.Lists.allowDeny;
import static dev.edgeproxy.allowlist.Lists.host;
import static dev.edgeproxy.allowlist.Lists.route;
import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.allowlist.AllowListSnapshot.Decision;
import dev.edgeproxy.allowlist.AllowListSnapshot.Outcome;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AllowListSnapshotTest {
  static final AllowListSnapshot SNAP =
      AllowListSnapshot.build(
          List.of(
              route("config", "forgejo", "git.example.com"),
              route("config", "cfg-wild", "*.apps.example.com")),
          Map.of(
              "file",
              new SourceList(
                  "file",
                  "f1",
                  Lists.entries("file", "grafana.example.com", "*.apps.example.com", "admin.example.com"),
                  Lists.entries("file", "*.internal.example.com"),
                  List.of(
                      route("file", "file-exact", "x.apps.example.com"),
                      route("file", "file-git", "git.example.com"))),
              "git",
              new SourceList(
                  "git",
                  "g1",
                  Lists.entries("git", "git.example.com", "grafana.example.com", "a.internal.example.com", "*.internal.example.com"),
                  Lists.entries("git", "admin.example.com", "blocked.apps.example.com"),
                  List.of(route("git", "git-wild", "*.example.com"))),
              "route53",
              allow("route53", "photos.example.com", "*.example.org")));

  @ParameterizedTest(name = "{0} -> {1} {2}")
  @CsvSource(
      nullValues = "-",
      textBlock =
          """
          grafana.example.com,        ALLOWED,     git-wild
          GRAFANA.Example.com.,       ALLOWED,     git-wild
          a.apps.example.com,         ALLOWED,     cfg-wild
          x.apps.example.com,         ALLOWED,     file-exact
          a.b.apps.example.com,       NOT_ALLOWED, -
          apps.example.com,           NOT_ALLOWED, git-wild
          blocked.apps.example.com,   DENIED,      cfg-wild
          admin.example.com,          DENIED,      git-wild
          a.internal.example.com,     DENIED,      -
          b.internal.example.com,     DENIED,      -
          git.example.com,            ALLOWED,     forgejo
          photos.example.com,         ALLOWED,     git-wild
          www.example.org,            ALLOWED,     -
          example.org,                NOT_ALLOWED, -
          other.example.net,          NOT_ALLOWED, -
          com,                        NOT_ALLOWED, -
          """)
  void decisions(String host, Outcome outcome, String backend) {
    Decision d = SNAP.decide(host(host));
    assertThat(d.outcome()).isEqualTo(outcome);
    assertThat(d.backend()).isEqualTo(backend);
    assertThat(d.allowed()).isEqualTo(outcome == Outcome.ALLOWED);
    assertThat(d.deniedBy() != null).isEqualTo(outcome == Outcome.DENIED);
    if (outcome == Outcome.ALLOWED) {
      assertThat(d.allowedBy()).isNotEmpty();
    }
    if (backend != null) {
      assertThat(d.routedBy()).isNotNull();
    }
  }

  @Test
  void provenanceOfDecisions() {
    Decision grafana = SNAP.decide(host("grafana.example.com"));
    assertThat(grafana.allowedBy())
        .containsExactly(new Provenance("file", "line 1"), new Provenance("git", "line 2"));

    Decision admin = SNAP.decide(host("admin.example.com"));
    assertThat(admin.deniedBy()).isEqualTo(new Provenance("git", "line 1"));
    assertThat(admin.allowedBy()).containsExactly(new Provenance("file", "line 3"));

    Decision wild = SNAP.decide(host("b.internal.example.com"));
    assertThat(wild.deniedBy()).isEqualTo(new Provenance("file", "line 1"));

    Decision git = SNAP.decide(host("git.example.com"));
    assertThat(git.routedBy()).isEqualTo(new Provenance("config", "route forgejo"));
  }

  @Test
  void effectiveEntriesCountWildcardsOnceAndDropDenied() {
    assertThat(SNAP.entries().keySet())
        .extracting(HostPattern::toString)
        .containsExactly(
            "*.apps.example.com", "*.example.org", "git.example.com", "grafana.example.com",
            "photos.example.com");
    assertThat(SNAP.hostCount()).isEqualTo(5);
    assertThat(SNAP.denied().keySet())
        .extracting(HostPattern::toString)
        .containsExactly("*.internal.example.com", "admin.example.com", "blocked.apps.example.com");
    assertThat(SNAP.denied().get(HostPattern.parse("*.internal.example.com")))
        .containsExactly(new Provenance("file", "line 1"));
    assertThat(SNAP.sources().keySet()).containsExactly("file", "git", "route53");
    assertThat(SNAP.sources().get("file").revision()).isEqualTo("f1");
  }

  @Test
  void wildcardMatchesExactlyOneLabel() {
    AllowListSnapshot s = AllowListSnapshot.build(List.of(), Map.of("git", allow("git", "*.a.com")));
    assertThat(s.decide(host("x.a.com")).outcome()).isEqualTo(Outcome.ALLOWED);
    assertThat(s.decide(host("y.x.a.com")).outcome()).isEqualTo(Outcome.NOT_ALLOWED);
    assertThat(s.decide(host("a.com")).outcome()).isEqualTo(Outcome.NOT_ALLOWED);
  }

  @Test
  void exactAndWildcardBothReported() {
    AllowListSnapshot s =
        AllowListSnapshot.build(List.of(), Map.of("git", allow("git", "x.a.com", "*.a.com")));
    assertThat(s.decide(host("x.a.com")).allowedBy())
        .containsExactly(new Provenance("git", "line 1"), new Provenance("git", "line 2"));
  }

  @Test
  void routePrecedenceExactBeatsWildcardThenConfigFirst() {
    AllowListSnapshot s =
        AllowListSnapshot.build(
            List.of(route("config", "c-wild", "*.a.com"), route("config", "c-other", "y.a.com")),
            Map.of(
                "git",
                new SourceList(
                    "git",
                    "1",
                    List.of(),
                    List.of(),
                    List.of(route("git", "g-exact", "x.a.com"), route("git", "g-y", "y.a.com"))),
                "file",
                new SourceList(
                    "file", "1", List.of(), List.of(), List.of(route("file", "f-exact", "x.a.com")))));
    assertThat(s.decide(host("x.a.com")).backend()).isEqualTo("f-exact");
    assertThat(s.decide(host("y.a.com")).backend()).isEqualTo("c-other");
    assertThat(s.decide(host("z.a.com")).backend()).isEqualTo("c-wild");
    assertThat(s.decide(host("z.b.com")).backend()).isNull();
    assertThat(s.routes()).hasSize(5);
    assertThat(s.routes().get(0).provenance().source()).isEqualTo("config");
    assertThat(s.routes().get(2).provenance().source()).isEqualTo("file");
  }

  @Test
  void versionIsStableRegardlessOfOrderAndRefs() {
    Map<String, SourceList> a = new LinkedHashMap<>();
    a.put("git", allow("git", "a.com", "b.com", "*.c.com"));
    a.put("file", allowDeny("file", List.of("d.com"), List.of("b.com")));
    Map<String, SourceList> b = new LinkedHashMap<>();
    b.put("file", allowDeny("file", List.of("d.com"), List.of("b.com")));
    b.put("git", allow("git", "*.c.com", "a.com", "b.com"));
    AllowListSnapshot sa = AllowListSnapshot.build(List.of(), a);
    AllowListSnapshot sb = AllowListSnapshot.build(List.of(), b);
    assertThat(sa.version()).isEqualTo(sb.version()).matches("[0-9a-f]{12}");
    assertThat(sa.hostCount()).isEqualTo(3);

    AllowListSnapshot more =
        AllowListSnapshot.build(List.of(), Map.of("git", allow("git", "a.com", "b.com", "*.c.com", "e.com")));
    assertThat(more.version()).isNotEqualTo(sa.version());
    AllowListSnapshot routed =
        AllowListSnapshot.build(List.of(route("config", "p", "a.com")), a);
    assertThat(routed.version()).isNotEqualTo(sa.version());
    assertThat(AllowListSnapshot.empty().version()).isNotEqualTo(sa.version());
  }

  @Test
  void emptySnapshotRefusesEverything() {
    AllowListSnapshot e = AllowListSnapshot.empty();
    assertThat(e.hostCount()).isZero();
    assertThat(e.decide(host("a.com")).outcome()).isEqualTo(Outcome.NOT_ALLOWED);
    assertThat(e.sources()).isEmpty();
    assertThat(e.entries()).isEmpty();
  }

  @Test
  void diffWithProvenance() {
    AllowListSnapshot before =
        AllowListSnapshot.build(
            List.of(), Map.of("git", allow("git", "a.com", "b.com"), "file", allow("file", "c.com")));
    AllowListSnapshot after =
        AllowListSnapshot.build(
            List.of(),
            Map.of("git", allow("git", "a.com"), "file", allow("file", "c.com", "b.com"), "route53", allow("route53", "d.com")));
    AllowListDiff diff = AllowListDiff.between(before, after);
    assertThat(diff.added()).extracting(Object::toString).containsExactly("d.com [route53]");
    assertThat(diff.removed()).isEmpty();
    assertThat(diff.isEmpty()).isFalse();

    AllowListDiff back = AllowListDiff.between(after, AllowListSnapshot.empty());
    assertThat(back.removed()).extracting(Object::toString)
        .containsExactly("a.com [git]", "b.com [file]", "c.com [file]", "d.com [route53]");
    assertThat(back.removedPatterns()).hasSize(4);
    assertThat(AllowListDiff.between(before, before).isEmpty()).isTrue();
  }
}
