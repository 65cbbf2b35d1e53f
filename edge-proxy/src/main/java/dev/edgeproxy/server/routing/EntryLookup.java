package dev.edgeproxy.server.routing;

import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.allowlist.HostName;
import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.Provenance;
import dev.edgeproxy.allowlist.SourceEntry;
import dev.edgeproxy.allowlist.SourceList;
import dev.edgeproxy.allowlist.SourceRoute;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The source entries behind a decision or a listing, with their patterns as written: the snapshot's
 * decision names provenances only, and an operator asking why {@code x.apps.example.test} passed
 * wants to read {@code *.apps.example.test} and the line it is on. Scans the sources' lists, so it
 * is for the CLI and the admin documents, never for the connection path.
 */
public final class EntryLookup {
  /** An allow entry that a deny entry overrides: both patterns, both provenances. */
  public record Overridden(HostPattern pattern, List<Provenance> allowedBy, HostPattern deniedPattern, List<Provenance> deniedBy) {}

  private EntryLookup() {}

  /** The allow entries (with the source's pattern) covering {@code host}, exact ones first. */
  public static List<SourceEntry> allowing(AllowListSnapshot snapshot, HostName host) {
    return matching(snapshot, host, SourceList::allow);
  }

  /** The deny entries covering {@code host}, exact ones first. */
  public static List<SourceEntry> denying(AllowListSnapshot snapshot, HostName host) {
    return matching(snapshot, host, SourceList::deny);
  }

  /** The route entry that chose the pool for {@code host}, as the decision's provenance names it. */
  public static Optional<HostPattern> routePattern(AllowListSnapshot snapshot, HostName host, Provenance routedBy) {
    for (SourceRoute r : snapshot.routes()) {
      if (r.provenance().equals(routedBy)) {
        return r.hosts().stream().filter(p -> p.matches(host)).min(EntryLookup::exactFirst);
      }
    }
    return Optional.empty();
  }

  /**
   * The allow entries of the sources that a deny entry takes out of the effective list: the same
   * pattern denied, or an exact host under a denied wildcard.
   */
  public static List<Overridden> overridden(AllowListSnapshot snapshot) {
    Map<HostPattern, List<Provenance>> allowed = new LinkedHashMap<>();
    for (SourceList list : snapshot.sources().values()) {
      for (SourceEntry e : list.allow()) {
        allowed.computeIfAbsent(e.pattern(), k -> new ArrayList<>()).add(e.provenance());
      }
    }
    List<Overridden> out = new ArrayList<>();
    allowed.entrySet().stream()
        .filter(a -> !snapshot.entries().containsKey(a.getKey()))
        .sorted(Map.Entry.comparingByKey())
        .forEach(a -> denyFor(snapshot, a.getKey())
            .ifPresent(d -> out.add(new Overridden(a.getKey(), List.copyOf(a.getValue()), d, snapshot.denied().get(d)))));
    return out;
  }

  private static Optional<HostPattern> denyFor(AllowListSnapshot snapshot, HostPattern allowed) {
    if (snapshot.denied().containsKey(allowed)) {
      return Optional.of(allowed);
    }
    if (allowed.isWildcard()) {
      return Optional.empty();
    }
    return allowed.name().parentDomain()
        .flatMap(HostName::tryParse)
        .map(HostPattern::wildcard)
        .filter(snapshot.denied()::containsKey);
  }

  private static List<SourceEntry> matching(
      AllowListSnapshot snapshot, HostName host, Function<SourceList, List<SourceEntry>> side) {
    List<SourceEntry> out = new ArrayList<>();
    for (SourceList list : snapshot.sources().values()) {
      for (SourceEntry e : side.apply(list)) {
        if (e.pattern().matches(host)) {
          out.add(e);
        }
      }
    }
    out.sort((a, b) -> exactFirst(a.pattern(), b.pattern()));
    return out;
  }

  private static int exactFirst(HostPattern a, HostPattern b) {
    return Boolean.compare(a.isWildcard(), b.isWildcard());
  }
}
