package dev.edgeproxy.allowlist;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds the last good list of every source and the current {@link AllowListSnapshot}.
 *
 * <ul>
 *   <li>{@link #current()} is one volatile read: the connection path calls it for every hello.
 *   <li>{@link #update} merges a source's new list. A change that would remove more than {@code
 *       maxShrink} of the effective allowed patterns (after deny, a wildcard counted as one) is
 *       held back until {@link #force()}; other sources keep updating meanwhile.
 *   <li>{@link #recordFailure} keeps the source's previous list and records the error.
 *   <li>After each swap the diff is logged once, the snapshot is saved to the state file (when
 *       configured) and listeners are called, in order, on the updating thread.
 * </ul>
 *
 * Updates are serialised by a lock (they come from scheduler threads and are rare); reads never
 * lock.
 */
public final class AllowListRegistry {
  private static final Logger log = LoggerFactory.getLogger(AllowListRegistry.class);

  /** What {@link #update} did. */
  public enum UpdateOutcome {
    /** the new list changed the snapshot, which was swapped in */
    APPLIED,
    /** the list was the same as before (status updated only) */
    UNCHANGED,
    /** the change removes too much; kept pending until {@link #force()} */
    HELD_BACK
  }

  private final Object lock = new Object();
  private final AtomicReference<AllowListSnapshot> current;
  private final SnapshotPublisher publisher;
  private final Clock clock;

  // guarded by lock
  private List<SourceRoute> configRoutes;
  private final HeldChanges held;
  private final Map<String, SourceStatus> status = new TreeMap<>();
  private Optional<String> restoreProblem = Optional.empty();
  private Optional<Instant> restoredSavedAt = Optional.empty();

  /**
   * A registry that starts empty (not ready).
   *
   * @param configRoutes the config's routes as {@link SourceRoute}s with source {@code config}
   * @param maxShrink 0..1, share of effective patterns a change may remove without being held
   * @param stateFile where to save each applied snapshot; empty = not saved
   */
  public AllowListRegistry(
      List<SourceRoute> configRoutes, double maxShrink, Optional<Path> stateFile) {
    this(configRoutes, maxShrink, stateFile, Clock.systemUTC());
  }

  AllowListRegistry(
      List<SourceRoute> configRoutes, double maxShrink, Optional<Path> stateFile, Clock clock) {
    this(configRoutes, maxShrink, stateFile, clock, SnapshotStore::save);
  }

  AllowListRegistry(
      List<SourceRoute> configRoutes,
      double maxShrink,
      Optional<Path> stateFile,
      Clock clock,
      StateFile.Writer writer) {
    this.held = new HeldChanges(maxShrink);
    this.configRoutes = List.copyOf(configRoutes);
    this.publisher = new SnapshotPublisher(stateFile, clock, writer);
    this.clock = clock;
    this.current = new AtomicReference<>(AllowListSnapshot.build(this.configRoutes, Map.of()));
  }

  /**
   * A registry seeded from the state file when there is a usable one: it is then ready at once,
   * serving the saved lists (with today's config routes) until the sources answer. A missing or
   * corrupt file gives an empty registry; see {@link #restoreProblem()}.
   */
  public static AllowListRegistry restore(
      List<SourceRoute> configRoutes, double maxShrink, Optional<Path> stateFile) {
    return restore(configRoutes, maxShrink, stateFile, Clock.systemUTC());
  }

  static AllowListRegistry restore(
      List<SourceRoute> configRoutes, double maxShrink, Optional<Path> stateFile, Clock clock) {
    AllowListRegistry registry = new AllowListRegistry(configRoutes, maxShrink, stateFile, clock);
    if (stateFile.isPresent()) {
      SnapshotStore.LoadResult loaded = SnapshotStore.load(stateFile.get());
      synchronized (registry.lock) {
        registry.restoreProblem = loaded.problem();
        loaded
            .snapshot()
            .ifPresent(
                saved -> {
                  AllowListSnapshot snap =
                      AllowListSnapshot.build(registry.configRoutes, saved.sources());
                  registry.current.set(snap);
                  registry.restoredSavedAt = loaded.savedAt();
                  registry.held.served(clock.instant(), snap.hostCount());
                  log.info(
                      "allow-list restored from {} (saved {}): version {}, {} hosts",
                      stateFile.get(),
                      loaded.savedAt().map(Instant::toString).orElse("?"),
                      snap.version(),
                      snap.hostCount());
                  registry.publisher.ready(snap);
                });
      }
    }
    return registry;
  }

  /** The current snapshot: one volatile read. */
  public AllowListSnapshot current() {
    return current.get();
  }

  /** Completes with the first snapshot, restored or from a source. */
  public CompletableFuture<AllowListSnapshot> whenReady() {
    return publisher.whenReady();
  }

  public boolean isReady() {
    return publisher.isReady();
  }

  /** For a setup with no allow-list source at all: the (config-routes-only) snapshot is final. */
  public void markReady() {
    publisher.ready(current.get());
  }

  /** Why the state file could not be used at {@link #restore}, if it could not. */
  public Optional<String> restoreProblem() {
    synchronized (lock) {
      return restoreProblem;
    }
  }

  /** When the restored state file was saved, if the snapshot came from one. */
  public Optional<Instant> restoredSavedAt() {
    synchronized (lock) {
      return restoredSavedAt;
    }
  }

  /** Why the served snapshot is not in the state file, until a save (or retry) succeeds. */
  public Optional<StateSaveFailure> saveFailure() {
    return publisher.saveFailure();
  }

  /** Saves the served snapshot again if its last save failed; true when nothing is unsaved. */
  public boolean retrySave() {
    return publisher.retrySave();
  }

  /** Calls {@code listener} after every swap, on the thread that made it. Keep it quick. */
  public void addListener(Consumer<SnapshotChange> listener) {
    publisher.addListener(listener);
  }

  /**
   * Takes a source's new complete list.
   *
   * @return what happened: applied, unchanged, or held back (see {@link #heldBack()})
   */
  public UpdateOutcome update(SourceList list) {
    Objects.requireNonNull(list, "list");
    synchronized (lock) {
      held.dropRemoval(list.source());
      Instant now = clock.instant();
      AllowListSnapshot before = current.get();
      SourceList previous = before.sources().get(list.source());
      if (list.equals(previous)) {
        status.put(list.source(), SourceStatus.succeeded(now, list));
        held.dropList(list.source());
        publisher.ready(before);
        return UpdateOutcome.UNCHANGED;
      }
      AllowListSnapshot candidate = before.with(list);
      AllowListDiff diff = AllowListDiff.between(before, candidate);
      if (held.tooMuchRemoved(before, candidate, diff, now)) {
        // not a success: the source's list is not what the node serves (staleness alerts fire)
        status.put(list.source(), SourceStatus.heldBack(status.get(list.source()), now, previous));
        held.hold(list, diff, before.hostCount());
        publisher.ready(before);
        return UpdateOutcome.HELD_BACK;
      }
      status.put(list.source(), SourceStatus.succeeded(now, list));
      held.dropList(list.source());
      swap(before, candidate, diff, list.source() + " " + list.revision());
      return UpdateOutcome.APPLIED;
    }
  }

  /**
   * Drops every source whose list is served but that is no longer configured (at start, after
   * restoring the state file, and on reload). Each removal is a normal change: logged as a diff and
   * subject to {@code maxShrink}, so a large one is held back (visibly) until forced.
   */
  public void retainSources(Collection<String> configured) {
    synchronized (lock) {
      for (String name : List.copyOf(current.get().sources().keySet())) {
        if (!configured.contains(name)) {
          removeSource(name);
        }
      }
      held.retain(configured);
      status.keySet().removeIf(name -> !configured.contains(name));
    }
  }

  /**
   * Drops a source (it was removed from the config). Subject to {@code maxShrink} like an update.
   */
  public UpdateOutcome removeSource(String source) {
    synchronized (lock) {
      status.remove(source);
      AllowListSnapshot before = current.get();
      held.dropList(source);
      if (!before.sources().containsKey(source)) {
        held.dropRemoval(source);
        return UpdateOutcome.UNCHANGED;
      }
      Map<String, SourceList> next = new HashMap<>(before.sources());
      next.remove(source);
      AllowListSnapshot candidate = AllowListSnapshot.build(configRoutes, next);
      AllowListDiff diff = AllowListDiff.between(before, candidate);
      if (held.tooMuchRemoved(before, candidate, diff, clock.instant())) {
        held.holdRemoval(source, diff, before.hostCount());
        return UpdateOutcome.HELD_BACK;
      }
      held.dropRemoval(source);
      swap(before, candidate, diff, "source " + source + " removed");
      return UpdateOutcome.APPLIED;
    }
  }

  /** New config routes and {@code maxShrink} after a config reload; routes never shrink hosts. */
  public void reconfigure(List<SourceRoute> newConfigRoutes, double newMaxShrink) {
    HeldChanges.checkShare(newMaxShrink);
    synchronized (lock) {
      held.maxShrink(newMaxShrink);
      List<SourceRoute> routes = List.copyOf(newConfigRoutes);
      if (routes.equals(configRoutes)) {
        return;
      }
      this.configRoutes = routes;
      AllowListSnapshot before = current.get();
      AllowListSnapshot candidate = AllowListSnapshot.build(routes, before.sources());
      swap(before, candidate, AllowListDiff.between(before, candidate), "config routes");
    }
  }

  /** Keeps the source's previous list and records the error (logged once per change of error). */
  public void recordFailure(String source, String error) {
    synchronized (lock) {
      SourceStatus old = status.get(source);
      Instant now = clock.instant();
      SourceList last = current.get().sources().get(source);
      status.put(source, SourceStatus.failed(old, now, error, last));
      if (old == null || !Objects.equals(old.lastError(), error)) {
        log.warn("allow-list source {} failed, keeping its previous list: {}", source, error);
      } else {
        log.debug("allow-list source {} still failing: {}", source, error);
      }
    }
  }

  /** Per-source status, by source name. */
  public Map<String, SourceStatus> sourceStatus() {
    synchronized (lock) {
      return Collections.unmodifiableMap(new TreeMap<>(status));
    }
  }

  /** The held-back change (what applying every held list would add and remove), if any. */
  public Optional<AllowListDiff> heldBack() {
    synchronized (lock) {
      if (held.isEmpty()) {
        return Optional.empty();
      }
      AllowListSnapshot before = current.get();
      return Optional.of(AllowListDiff.between(before, held.appliedTo(before, configRoutes)));
    }
  }

  /**
   * Applies every held-back change.
   *
   * @return true when something was held back and is now applied
   */
  public boolean force() {
    synchronized (lock) {
      if (held.isEmpty()) {
        return false;
      }
      AllowListSnapshot before = current.get();
      AllowListSnapshot candidate = held.appliedTo(before, configRoutes);
      String what = "forced " + String.join(", ", held.names());
      Instant now = clock.instant();
      held.release().forEach((name, list) -> status.put(name, SourceStatus.succeeded(now, list)));
      swap(before, candidate, AllowListDiff.between(before, candidate), what);
      held.confirmed(now, candidate.hostCount());
      return true;
    }
  }

  /**
   * What applying these lists would change, without applying anything (for {@code sync
   * --dry-run}); maxShrink is not considered.
   */
  public AllowListDiff preview(Collection<SourceList> lists) {
    AllowListSnapshot before = current.get();
    Map<String, SourceList> next = new HashMap<>(before.sources());
    lists.forEach(l -> next.put(l.source(), l));
    return AllowListDiff.between(before, AllowListSnapshot.build(before.configRoutes(), next));
  }

  private void swap(
      AllowListSnapshot before, AllowListSnapshot after, AllowListDiff diff, String cause) {
    current.set(after);
    held.served(clock.instant(), after.hostCount());
    publisher.published(new SnapshotChange(before, after, diff), cause);
  }
}
