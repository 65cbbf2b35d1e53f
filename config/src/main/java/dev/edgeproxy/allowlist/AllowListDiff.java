package dev.edgeproxy.allowlist;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a change does to the effective allow-list: patterns added and removed, each with the
 * entries (and so the sources) behind it. A pattern that only moved from one source to another is
 * in neither list.
 */
public record AllowListDiff(List<DiffEntry> added, List<DiffEntry> removed) {
  public AllowListDiff {
    added = List.copyOf(added);
    removed = List.copyOf(removed);
  }

  /** One added or removed pattern, with provenance from the snapshot that has it. */
  public record DiffEntry(HostPattern pattern, List<Provenance> provenance) {
    public DiffEntry {
      Objects.requireNonNull(pattern, "pattern");
      provenance = List.copyOf(provenance);
    }

    /** The distinct source names behind it, sorted. */
    public Set<String> sources() {
      Set<String> names = new TreeSet<>();
      provenance.forEach(p -> names.add(p.source()));
      return names;
    }

    @Override
    public String toString() {
      return pattern + " " + sources();
    }
  }

  public static AllowListDiff between(AllowListSnapshot before, AllowListSnapshot after) {
    List<DiffEntry> added = new ArrayList<>();
    List<DiffEntry> removed = new ArrayList<>();
    for (Map.Entry<HostPattern, List<Provenance>> e : after.entries().entrySet()) {
      if (!before.entries().containsKey(e.getKey())) {
        added.add(new DiffEntry(e.getKey(), e.getValue()));
      }
    }
    for (Map.Entry<HostPattern, List<Provenance>> e : before.entries().entrySet()) {
      if (!after.entries().containsKey(e.getKey())) {
        removed.add(new DiffEntry(e.getKey(), e.getValue()));
      }
    }
    return new AllowListDiff(added, removed);
  }

  public boolean isEmpty() {
    return added.isEmpty() && removed.isEmpty();
  }

  /** The removed patterns, for closing revoked connections. */
  public List<HostPattern> removedPatterns() {
    return removed.stream().map(DiffEntry::pattern).toList();
  }
}
