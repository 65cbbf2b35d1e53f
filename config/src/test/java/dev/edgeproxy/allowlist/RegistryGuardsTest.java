package dev.edgeproxy.allowlist;

import static dev.edgeproxy.allowlist.AllowListRegistryTest.hosts;
import static dev.edgeproxy.allowlist.Lists.allow;
import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.allowlist.AllowListRegistry.UpdateOutcome;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Held-back state, state-file save failures, removed sources and the maxShrink reference. */
class RegistryGuardsTest {
  @TempDir Path dir;

  /** A clock the test moves. */
  static final class MovingClock extends Clock {
    Instant now = Instant.parse("2026-11-23T10:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  @Test
  void aHeldBackAnswerIsItsOwnStateAndNotASuccess() {
    MovingClock clock = new MovingClock();
    AllowListRegistry r = new AllowListRegistry(List.of(), 0.5, Optional.empty(), clock);
    r.update(allow("git", hosts(10)));
    Instant applied = clock.now;
    clock.advance(Duration.ofMinutes(5));

    assertThat(r.update(allow("git", hosts(2)))).isEqualTo(UpdateOutcome.HELD_BACK);
    SourceStatus held = r.sourceStatus().get("git");
    assertThat(held.lastSuccess()).as("not advanced while held back").isEqualTo(applied);
    assertThat(held.lastAttempt()).isEqualTo(clock.now);
    assertThat(held.heldBackSince()).isEqualTo(clock.now);
    assertThat(held.entries()).as("the list served").isEqualTo(10);
    Instant heldSince = clock.now;

    clock.advance(Duration.ofMinutes(5));
    r.update(allow("git", hosts(2)));
    assertThat(r.sourceStatus().get("git").heldBackSince()).isEqualTo(heldSince);
    assertThat(r.sourceStatus().get("git").lastSuccess()).isEqualTo(applied);

    assertThat(r.force()).isTrue();
    SourceStatus forced = r.sourceStatus().get("git");
    assertThat(forced.heldBackSince()).isNull();
    assertThat(forced.lastSuccess()).isEqualTo(clock.now);
    assertThat(forced.entries()).isEqualTo(2);
  }

  @Test
  void successiveCutsJustUnderTheLimitCannotWearTheListDown() {
    MovingClock clock = new MovingClock();
    AllowListRegistry r = new AllowListRegistry(List.of(), 0.5, Optional.empty(), clock);
    r.update(allow("git", hosts(100)));
    // 45% of 100, then 45% of 55 would leave 31: the second cut is 69% below the reference
    assertThat(r.update(allow("git", hosts(55)))).isEqualTo(UpdateOutcome.APPLIED);
    clock.advance(Duration.ofMinutes(5));
    assertThat(r.update(allow("git", hosts(31)))).isEqualTo(UpdateOutcome.HELD_BACK);
    assertThat(r.current().hostCount()).isEqualTo(55);

    // a confirmed (forced) change is the new reference
    assertThat(r.force()).isTrue();
    assertThat(r.update(allow("git", hosts(20)))).isEqualTo(UpdateOutcome.APPLIED);

    // the reference is the largest list within the window: a day later it no longer counts
    AllowListRegistry later = new AllowListRegistry(List.of(), 0.5, Optional.empty(), clock);
    later.update(allow("git", hosts(100)));
    later.update(allow("git", hosts(55)));
    clock.advance(ShrinkGuard.WINDOW.plusMinutes(1));
    assertThat(later.update(allow("git", hosts(31)))).isEqualTo(UpdateOutcome.APPLIED);
  }

  @Test
  void aSourceNoLongerConfiguredIsRemovedAsANormalChange() throws Exception {
    Path state = dir.resolve("state.json");
    AllowListRegistry first = new AllowListRegistry(List.of(), 0.5, Optional.of(state));
    first.update(allow("file", "old.example.com"));
    first.update(allow("git", hosts(10)));

    AllowListRegistry restarted = AllowListRegistry.restore(List.of(), 0.5, Optional.of(state));
    assertThat(restarted.current().sources()).containsKeys("file", "git");
    restarted.retainSources(Set.of("git"));
    assertThat(restarted.current().sources()).doesNotContainKey("file");
    assertThat(restarted.current().decide(Lists.host("old.example.com")).allowed()).isFalse();

    // removing a source that holds most of the list waits for a force, visibly
    restarted.retainSources(Set.of());
    assertThat(restarted.current().hostCount()).isEqualTo(10);
    assertThat(restarted.heldBack()).get().satisfies(d -> assertThat(d.removed()).hasSize(10));
    assertThat(restarted.force()).isTrue();
    assertThat(restarted.current().hostCount()).isZero();
  }

  @Test
  void aFailedSaveIsShownRetriedAndTheOutdatedFileRemoved() throws Exception {
    Path state = dir.resolve("state.json");
    AtomicBoolean diskFull = new AtomicBoolean();
    StateFile.Writer writer =
        (snapshot, file, clock) -> {
          if (diskFull.get()) {
            throw new IOException("No space left on device");
          }
          SnapshotStore.save(snapshot, file, clock);
        };
    AllowListRegistry r =
        new AllowListRegistry(List.of(), 0.5, Optional.of(state), Clock.systemUTC(), writer);
    r.update(allow("git", "a.example.com", "revoked.example.com"));
    assertThat(state).exists();
    assertThat(r.saveFailure()).isEmpty();

    diskFull.set(true);
    r.update(allow("git", "a.example.com"));
    StateSaveFailure failure = r.saveFailure().orElseThrow();
    assertThat(failure.error()).contains("No space left on device");
    assertThat(failure.unsavedVersion()).isEqualTo(r.current().version());
    assertThat(failure.outdatedFileRemoved()).isTrue();
    assertThat(state).as("a restart must not restore revoked.example.com").doesNotExist();

    assertThat(r.retrySave()).isFalse();
    assertThat(r.saveFailure().orElseThrow().attempts()).isEqualTo(2);

    diskFull.set(false);
    assertThat(r.retrySave()).isTrue();
    assertThat(r.saveFailure()).isEmpty();
    assertThat(SnapshotStore.load(state).snapshot().orElseThrow().version())
        .isEqualTo(r.current().version());
    assertThat(Files.readString(state)).doesNotContain("revoked.example.com");
  }
}
