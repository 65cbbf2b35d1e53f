package dev.edgeproxy.allowlist;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hold-back decision and what it holds: a change that removes more than {@code maxShrink} of
 * the served hosts ({@link ShrinkGuard}) waits here, a source's new list or a source's removal,
 * until the operator forces it or the source sends something acceptable.
 *
 * <p>Not thread-safe: the registry calls it under its lock.
 */
final class HeldChanges {
  // the registry's logger, as before the split: log filters and alerts name it
  private static final Logger log = LoggerFactory.getLogger(AllowListRegistry.class);
  private final ShrinkGuard guard = new ShrinkGuard();
  private final Map<String, SourceList> lists = new TreeMap<>();
  private final Set<String> removals = new TreeSet<>();
  private double maxShrink;

  HeldChanges(double maxShrink) {
    maxShrink(maxShrink);
  }

  static void checkShare(double share) {
    if (!(share >= 0 && share <= 1)) {
      throw new IllegalArgumentException("maxShrink must be in 0..1: " + share);
    }
  }

  void maxShrink(double share) {
    checkShare(share);
    this.maxShrink = share;
  }

  /** True when the change from {@code before} to {@code candidate} must wait for a force. */
  boolean tooMuchRemoved(
      AllowListSnapshot before, AllowListSnapshot candidate, AllowListDiff diff, Instant now) {
    return guard.tooMuchRemoved(before, candidate, diff, maxShrink, now);
  }

  /** Notes the host count served from {@code at} on. */
  void served(Instant at, int hosts) {
    guard.served(at, hosts);
  }

  /** Holds {@code list}, which would make {@code diff} of {@code hosts}; told once per list. */
  void hold(SourceList list, AllowListDiff diff, int hosts) {
    if (!list.equals(lists.put(list.source(), list))) {
      log.warn(
          "allow-list change from {} ({}) held back: it removes {} of {} hosts (more than"
              + " maxShrink {}%); POST /sync?force=true applies it. Would remove: {}",
          list.source(),
          list.revision(),
          diff.removed().size(),
          hosts,
          Math.round(maxShrink * 100),
          SnapshotPublisher.summary(diff.removed()));
    }
  }

  /** Holds the removal of {@code source}, which would make {@code diff} of {@code hosts}. */
  void holdRemoval(String source, AllowListDiff diff, int hosts) {
    removals.add(source);
    log.warn(
        "removing allow-list source {} held back: it removes {} of {} hosts",
        source,
        diff.removed().size(),
        hosts);
  }

  /** Forgets the held list of {@code source}: its newer one was applied or is the same. */
  void dropList(String source) {
    lists.remove(source);
  }

  /** Forgets the held removal of {@code source}: it answered, or was removed. */
  void dropRemoval(String source) {
    removals.remove(source);
  }

  /** Forgets what is held for sources no longer configured. */
  void retain(Collection<String> configured) {
    lists.keySet().removeIf(name -> !configured.contains(name));
  }

  boolean isEmpty() {
    return lists.isEmpty() && removals.isEmpty();
  }

  /** {@code before} with every held change applied, on {@code configRoutes}. */
  AllowListSnapshot appliedTo(AllowListSnapshot before, List<SourceRoute> configRoutes) {
    Map<String, SourceList> next = new HashMap<>(before.sources());
    next.putAll(lists);
    removals.forEach(next::remove);
    return AllowListSnapshot.build(configRoutes, next);
  }

  /**
   * Releases everything held (the operator forced it).
   *
   * @return the lists that were held, by source
   */
  Map<String, SourceList> release() {
    Map<String, SourceList> released = new TreeMap<>(lists);
    lists.clear();
    removals.clear();
    return released;
  }

  /** A forced change is the operator's confirmation: its host count becomes the only reference. */
  void confirmed(Instant at, int hosts) {
    guard.confirmed(at, hosts);
  }

  /** The held sources' names, lists first then removals, for the log. */
  List<String> names() {
    List<String> names = new ArrayList<>(lists.keySet());
    names.addAll(removals);
    return names;
  }
}
