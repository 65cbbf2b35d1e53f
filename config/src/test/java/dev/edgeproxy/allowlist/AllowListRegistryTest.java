package dev.edgeproxy.allowlist;

import static dev.edgeproxy.allowlist.Lists.allow;
import static dev.edgeproxy.allowlist.Lists.host;
import static dev.edgeproxy.allowlist.Lists.route;
import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.allowlist.AllowListRegistry.UpdateOutcome;
import dev.edgeproxy.allowlist.AllowListSnapshot.Outcome;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AllowListRegistryTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T10:00:00Z"), ZoneOffset.UTC);

  static AllowListRegistry registry(double maxShrink) {
    return new AllowListRegistry(List.of(), maxShrink, Optional.empty(), CLOCK);
  }

  static String[] hosts(int n) {
    String[] out = new String[n];
    for (int i = 0; i < n; i++) {
      out[i] = "h" + i + ".example.com";
    }
    return out;
  }

  @Test
  void firstUpdateMakesReadyAndNotifies() throws Exception {
    AllowListRegistry r = registry(0.5);
    assertThat(r.isReady()).isFalse();
    assertThat(r.current().hostCount()).isZero();
    List<SnapshotChange> changes = new ArrayList<>();
    r.addListener(changes::add);

    assertThat(r.update(allow("git", "a.com", "b.com"))).isEqualTo(UpdateOutcome.APPLIED);
    assertThat(r.whenReady().get(1, TimeUnit.SECONDS).hostCount()).isEqualTo(2);
    assertThat(r.current().decide(host("a.com")).outcome()).isEqualTo(Outcome.ALLOWED);
    assertThat(changes).hasSize(1);
    assertThat(changes.get(0).previous().hostCount()).isZero();
    assertThat(changes.get(0).current()).isSameAs(r.current());
    assertThat(changes.get(0).diff().added()).hasSize(2);

    assertThat(r.update(allow("git", "a.com", "b.com"))).isEqualTo(UpdateOutcome.UNCHANGED);
    assertThat(changes).hasSize(1);
  }

  @Test
  void mergesSourcesAndDenyWins() {
    AllowListRegistry r = registry(1.0);
    r.update(allow("git", "a.com", "b.com"));
    r.update(allow("route53", "c.com", "admin.com"));
    r.update(Lists.allowDeny("file", List.of(), List.of("admin.com")));
    assertThat(r.current().hostCount()).isEqualTo(3);
    assertThat(r.current().decide(host("admin.com")).outcome()).isEqualTo(Outcome.DENIED);
  }

  @Test
  void shrinkBeyondMaxShrinkIsHeldBackUntilForced() {
    AllowListRegistry r = registry(0.5);
    List<SnapshotChange> changes = new ArrayList<>();
    r.addListener(changes::add);
    r.update(allow("git", hosts(10)));
    String version = r.current().version();

    // 5 of 10 removed = 50%: not more than maxShrink, applied
    r.update(allow("git", hosts(5)));
    assertThat(r.current().hostCount()).isEqualTo(5);

    // 3 of 5 removed = 60%: held
    assertThat(r.update(allow("git", hosts(2)))).isEqualTo(UpdateOutcome.HELD_BACK);
    assertThat(r.current().hostCount()).isEqualTo(5);
    assertThat(r.heldBack()).isPresent();
    assertThat(r.heldBack().get().removed()).hasSize(3);
    assertThat(r.heldBack().get().removed().get(0).sources()).containsExactly("git");
    assertThat(changes).hasSize(2);

    // other sources keep updating meanwhile
    assertThat(r.update(allow("route53", "x.com"))).isEqualTo(UpdateOutcome.APPLIED);
    assertThat(r.current().hostCount()).isEqualTo(6);
    assertThat(r.heldBack()).isPresent();

    assertThat(r.force()).isTrue();
    assertThat(r.current().hostCount()).isEqualTo(3);
    assertThat(r.heldBack()).isEmpty();
    assertThat(r.force()).isFalse();
    assertThat(changes.get(changes.size() - 1).diff().removed()).hasSize(3);
    assertThat(r.current().version()).isNotEqualTo(version);
  }

  @Test
  void aRecoveredSourceClearsItsHeldChange() {
    AllowListRegistry r = registry(0.5);
    r.update(allow("file", hosts(10)));
    assertThat(r.update(allow("file"))).isEqualTo(UpdateOutcome.HELD_BACK);
    assertThat(r.update(allow("file", hosts(10)))).isEqualTo(UpdateOutcome.UNCHANGED);
    assertThat(r.heldBack()).isEmpty();
    assertThat(r.current().hostCount()).isEqualTo(10);
  }

  @Test
  void denyThatRemovesTooMuchIsHeldToo() {
    AllowListRegistry r = registry(0.5);
    r.update(allow("route53", "a.x.com", "b.x.com", "c.x.com"));
    assertThat(r.update(Lists.allowDeny("git", List.of(), List.of("*.x.com"))))
        .isEqualTo(UpdateOutcome.HELD_BACK);
    assertThat(r.current().decide(host("a.x.com")).outcome()).isEqualTo(Outcome.ALLOWED);
  }

  @Test
  void failureKeepsLastGoodListAndTracksStatus() {
    AllowListRegistry r = registry(0.5);
    r.update(allow("git", "a.com"));
    String version = r.current().version();
    r.recordFailure("git", "connection refused");
    r.recordFailure("git", "connection refused");
    r.recordFailure("route53", "throttled");

    assertThat(r.current().version()).isEqualTo(version);
    assertThat(r.current().decide(host("a.com")).allowed()).isTrue();
    SourceStatus git = r.sourceStatus().get("git");
    assertThat(git.lastSuccess()).isEqualTo(CLOCK.instant());
    assertThat(git.lastAttempt()).isEqualTo(CLOCK.instant());
    assertThat(git.lastError()).isEqualTo("connection refused");
    assertThat(git.entries()).isEqualTo(1);
    assertThat(git.revision()).isEqualTo(r.current().sources().get("git").revision());
    SourceStatus r53 = r.sourceStatus().get("route53");
    assertThat(r53.lastSuccess()).isNull();
    assertThat(r53.lastError()).isEqualTo("throttled");

    r.update(allow("git", "a.com"));
    assertThat(r.sourceStatus().get("git").lastError()).isNull();
  }

  @Test
  void stateIsSavedAfterEachChangeAndRestored(@TempDir Path dir) throws Exception {
    Path state = dir.resolve("sub/allowlist.json");
    List<SourceRoute> routes = List.of(route("config", "forgejo", "git.example.com"));
    AllowListRegistry r = new AllowListRegistry(routes, 0.5, Optional.of(state), CLOCK);
    r.update(allow("git", "git.example.com", "*.apps.example.com"));
    r.update(allow("route53", "r.example.org"));
    assertThat(state).exists();
    try (var files = Files.list(state.getParent())) {
      assertThat(files).containsExactly(state);
    }

    AllowListRegistry restored = AllowListRegistry.restore(routes, 0.5, Optional.of(state));
    assertThat(restored.isReady()).isTrue();
    assertThat(restored.restoreProblem()).isEmpty();
    assertThat(restored.current().version()).isEqualTo(r.current().version());
    assertThat(restored.current().entries()).isEqualTo(r.current().entries());
    assertThat(restored.current().decide(host("git.example.com")).backend()).isEqualTo("forgejo");

    // a truncated source after restart is held back: the node keeps serving the saved list
    assertThat(restored.update(allow("git"))).isEqualTo(UpdateOutcome.HELD_BACK);
    assertThat(restored.current().hostCount()).isEqualTo(3);
  }

  @Test
  void restoreWithCorruptOrMissingStateStartsEmpty(@TempDir Path dir) throws Exception {
    Path state = dir.resolve("allowlist.json");
    AllowListRegistry fresh = AllowListRegistry.restore(List.of(), 0.5, Optional.of(state));
    assertThat(fresh.isReady()).isFalse();
    assertThat(fresh.restoreProblem()).isEmpty();

    Files.writeString(state, "{\"format\": 1, \"sources\": [tru");
    AllowListRegistry corrupt = AllowListRegistry.restore(List.of(), 0.5, Optional.of(state));
    assertThat(corrupt.isReady()).isFalse();
    assertThat(corrupt.restoreProblem()).get().asString().contains(state.toString()).contains("corrupt");
    assertThat(corrupt.update(allow("git", "a.com"))).isEqualTo(UpdateOutcome.APPLIED);
    assertThat(SnapshotStore.load(state).snapshot()).isPresent();
  }

  @Test
  void removeSourceAndReconfigure() {
    AllowListRegistry r = registry(0.5);
    r.update(allow("git", hosts(4)));
    r.update(allow("route53", "x.com"));
    assertThat(r.removeSource("route53")).isEqualTo(UpdateOutcome.APPLIED);
    assertThat(r.current().sources()).containsOnlyKeys("git");
    assertThat(r.removeSource("git")).isEqualTo(UpdateOutcome.HELD_BACK);
    assertThat(r.heldBack().orElseThrow().removed()).hasSize(4);
    assertThat(r.force()).isTrue();
    assertThat(r.current().hostCount()).isZero();

    r.reconfigure(List.of(route("config", "p", "a.com")), 0.1);
    assertThat(r.current().decide(host("a.com")).backend()).isEqualTo("p");
  }

  @Test
  void previewDoesNotApply() {
    AllowListRegistry r = registry(0.5);
    r.update(allow("git", "a.com", "b.com"));
    AllowListDiff d = r.preview(List.of(allow("git", "a.com"), allow("route53", "c.com")));
    assertThat(d.added()).extracting(Object::toString).containsExactly("c.com [route53]");
    assertThat(d.removed()).extracting(Object::toString).containsExactly("b.com [git]");
    assertThat(r.current().hostCount()).isEqualTo(2);
  }

  @Test
  void markReadyForConfigsWithoutSources() throws Exception {
    AllowListRegistry r = new AllowListRegistry(List.of(route("config", "p", "a.com")), 0.5, Optional.empty());
    r.markReady();
    assertThat(r.whenReady().get(1, TimeUnit.SECONDS).decide(host("a.com")).backend()).isEqualTo("p");
  }

  @Test
  void listenerFailureDoesNotBreakTheSwap() {
    AllowListRegistry r = registry(0.5);
    List<SnapshotChange> seen = new ArrayList<>();
    r.addListener(c -> {
      throw new IllegalStateException("boom");
    });
    r.addListener(seen::add);
    assertThat(r.update(allow("git", "a.com"))).isEqualTo(UpdateOutcome.APPLIED);
    assertThat(seen).hasSize(1);
  }

  @Test
  void concurrentUpdatesAndReadsStayConsistent() throws Exception {
    AllowListRegistry r = registry(1.0);
    String[] sources = {"file", "git", "route53", "s3", "s4", "s5"};
    List<SnapshotChange> changes = java.util.Collections.synchronizedList(new ArrayList<>());
    r.addListener(changes::add);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (String s : sources) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  for (int i = 1; i <= 50; i++) {
                    String[] h = new String[i];
                    for (int j = 0; j < i; j++) {
                      h[j] = s + "-" + j + ".example.com";
                    }
                    r.update(allow(s, h));
                  }
                  return null;
                }));
      }
      futures.add(
          pool.submit(
              () -> {
                start.await();
                for (int i = 0; i < 2000; i++) {
                  AllowListSnapshot snap = r.current();
                  assertThat(snap.hostCount()).isEqualTo(snap.entries().size());
                }
                return null;
              }));
      start.countDown();
      for (Future<?> f : futures) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(r.current().hostCount()).isEqualTo(50 * sources.length);
    assertThat(changes).hasSize(50 * sources.length);
    // each change continues from the previous one: swaps are serialised
    for (int i = 1; i < changes.size(); i++) {
      assertThat(changes.get(i).previous()).isSameAs(changes.get(i - 1).current());
    }
  }
}
