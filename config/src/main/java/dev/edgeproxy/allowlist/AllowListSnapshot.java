package dev.edgeproxy.allowlist;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The effective allow-list at one moment: immutable, versioned, with provenance for every entry.
 * Built from the config's routes (source {@code config}) and the last good list of every source.
 *
 * <ul>
 *   <li>Allowed = union of every source's {@code allow} − every {@code deny}. Deny always wins: a
 *       deny pattern removes the equal allow pattern and the exact hosts it matches, and {@link
 *       #decide} refuses every host it matches (also one under an allowed wildcard).
 *   <li>Routes: the config's routes, then the sources' routes (sources in name order: file, git,
 *       ...). The most specific pattern wins (an exact host beats a wildcard); among equally
 *       specific ones the first in that order. No route = the default backend.
 * </ul>
 *
 * {@link #decide} is on the connection path: two hash lookups per table, no scanning, no locks.
 */
public final class AllowListSnapshot {
  private static final AllowListSnapshot EMPTY = build(List.of(), Map.of());

  private final List<SourceRoute> configRoutes;
  private final SortedMap<String, SourceList> sources;
  private final SortedMap<HostPattern, List<Provenance>> entries;
  private final SortedMap<HostPattern, List<Provenance>> denied;
  private final Map<String, List<Provenance>> exactAllowed;
  private final Map<String, List<Provenance>> wildcardAllowed;
  /** Allow entries before deny, only to explain a denial without scanning. */
  private final Map<String, List<Provenance>> exactAllowedRaw;
  private final Map<String, List<Provenance>> wildcardAllowedRaw;
  private final Map<String, Provenance> exactDenied;
  private final Map<String, Provenance> wildcardDenied;
  private final Map<String, RouteHit> exactRoutes;
  private final Map<String, RouteHit> wildcardRoutes;
  private final String version;

  private record RouteHit(String backend, Provenance provenance) {}

  /** How {@link #decide} answered. */
  public enum Outcome {
    /** an allow entry covers the host and no deny entry does */
    ALLOWED,
    /** a deny entry covers the host (whether or not something allows it) */
    DENIED,
    /** nothing allows the host */
    NOT_ALLOWED
  }

  /**
   * The answer for one host: outcome, why, and where to route it. The route is resolved whatever
   * the outcome, so shadow mode ({@code enforce: false}) can still forward.
   *
   * @param allowedBy every allow entry covering the host (exact first), empty when none
   * @param deniedBy the deny entry refusing it, or null
   * @param backend the routed pool, or null for the default backend
   * @param routedBy the route that chose {@code backend}, or null
   */
  public record Decision(
      Outcome outcome,
      List<Provenance> allowedBy,
      Provenance deniedBy,
      String backend,
      Provenance routedBy) {
    public Decision {
      allowedBy = List.copyOf(allowedBy);
    }

    public boolean allowed() {
      return outcome == Outcome.ALLOWED;
    }
  }

  private AllowListSnapshot(List<SourceRoute> configRoutes, Map<String, SourceList> lists) {
    this.configRoutes = List.copyOf(configRoutes);
    TreeMap<String, SourceList> sorted = new TreeMap<>(lists);
    this.sources = Collections.unmodifiableSortedMap(sorted);

    Map<HostPattern, List<Provenance>> allow = new HashMap<>();
    Map<HostPattern, List<Provenance>> deny = new HashMap<>();
    for (SourceList list : sorted.values()) {
      for (SourceEntry e : list.allow()) {
        allow.computeIfAbsent(e.pattern(), k -> new ArrayList<>()).add(e.provenance());
      }
      for (SourceEntry e : list.deny()) {
        deny.computeIfAbsent(e.pattern(), k -> new ArrayList<>()).add(e.provenance());
      }
    }
    Map<String, Provenance> exactDeny = new HashMap<>();
    Map<String, Provenance> wildDeny = new HashMap<>();
    for (Map.Entry<HostPattern, List<Provenance>> d : deny.entrySet()) {
      (d.getKey().isWildcard() ? wildDeny : exactDeny)
          .put(d.getKey().name().value(), d.getValue().get(0));
    }
    Map<String, List<Provenance>> exactRaw = new HashMap<>();
    Map<String, List<Provenance>> wildRaw = new HashMap<>();
    TreeMap<HostPattern, List<Provenance>> effective = new TreeMap<>();
    Map<String, List<Provenance>> exact = new HashMap<>();
    Map<String, List<Provenance>> wild = new HashMap<>();
    for (Map.Entry<HostPattern, List<Provenance>> a : allow.entrySet()) {
      HostPattern p = a.getKey();
      (p.isWildcard() ? wildRaw : exactRaw).put(p.name().value(), List.copyOf(a.getValue()));
      if (deny.containsKey(p)) {
        continue;
      }
      if (!p.isWildcard() && p.name().parentDomain().map(wildDeny::containsKey).orElse(false)) {
        continue;
      }
      List<Provenance> prov = List.copyOf(a.getValue());
      effective.put(p, prov);
      (p.isWildcard() ? wild : exact).put(p.name().value(), prov);
    }
    TreeMap<HostPattern, List<Provenance>> deniedSorted = new TreeMap<>();
    deny.forEach((p, prov) -> deniedSorted.put(p, List.copyOf(prov)));

    Map<String, RouteHit> exactR = new HashMap<>();
    Map<String, RouteHit> wildR = new HashMap<>();
    List<SourceRoute> allRoutes = new ArrayList<>(this.configRoutes);
    sorted.values().forEach(l -> allRoutes.addAll(l.routes()));
    for (SourceRoute r : allRoutes) {
      for (HostPattern p : r.hosts()) {
        (p.isWildcard() ? wildR : exactR)
            .putIfAbsent(p.name().value(), new RouteHit(r.backend(), r.provenance()));
      }
    }

    this.entries = Collections.unmodifiableSortedMap(effective);
    this.denied = Collections.unmodifiableSortedMap(deniedSorted);
    this.exactAllowed = exact;
    this.wildcardAllowed = wild;
    this.exactAllowedRaw = exactRaw;
    this.wildcardAllowedRaw = wildRaw;
    this.exactDenied = exactDeny;
    this.wildcardDenied = wildDeny;
    this.exactRoutes = exactR;
    this.wildcardRoutes = wildR;
    this.version = computeVersion(effective, deniedSorted, exactR, wildR);
  }

  /**
   * Builds a snapshot.
   *
   * @param configRoutes the routes of {@code edge-proxy.yaml} (provenance source {@code config})
   * @param sources the last good list of each source, by source name
   */
  public static AllowListSnapshot build(
      List<SourceRoute> configRoutes, Map<String, SourceList> sources) {
    return new AllowListSnapshot(configRoutes, sources);
  }

  /** No entries, no routes: every host is refused. */
  public static AllowListSnapshot empty() {
    return EMPTY;
  }

  /** A copy with {@code list} replacing that source's list. */
  AllowListSnapshot with(SourceList list) {
    Map<String, SourceList> next = new HashMap<>(sources);
    next.put(list.source(), list);
    return new AllowListSnapshot(configRoutes, next);
  }

  /** The decision for {@code host}. Constant time. */
  public Decision decide(HostName host) {
    String name = host.value();
    int dot = name.indexOf('.');
    String parent = dot < 0 ? null : name.substring(dot + 1);

    List<Provenance> exact = exactAllowed.get(name);
    List<Provenance> wild = parent == null ? null : wildcardAllowed.get(parent);
    List<Provenance> allowedBy = join(exact, wild);

    Provenance deniedBy = exactDenied.get(name);
    if (deniedBy == null && parent != null) {
      deniedBy = wildcardDenied.get(parent);
    }
    if (deniedBy != null) {
      // a deny removed the allow entries it covers from the tables; report what allowed it anyway
      allowedBy = join(exactAllowedRaw.get(name), parent == null ? null : wildcardAllowedRaw.get(parent));
    }

    RouteHit route = exactRoutes.get(name);
    if (route == null && parent != null) {
      route = wildcardRoutes.get(parent);
    }
    Outcome outcome =
        deniedBy != null ? Outcome.DENIED : allowedBy.isEmpty() ? Outcome.NOT_ALLOWED : Outcome.ALLOWED;
    return new Decision(
        outcome,
        allowedBy,
        deniedBy,
        route == null ? null : route.backend(),
        route == null ? null : route.provenance());
  }

  private static List<Provenance> join(List<Provenance> exact, List<Provenance> wild) {
    if (exact != null && wild != null) {
      List<Provenance> both = new ArrayList<>(exact);
      both.addAll(wild);
      return both;
    }
    return exact != null ? exact : wild != null ? wild : List.of();
  }

  /** Content hash (12 hex digits) of the effective entries, denies and routes; order-independent. */
  public String version() {
    return version;
  }

  /** Effective allowed patterns; a wildcard counts as one. */
  public int hostCount() {
    return entries.size();
  }

  /** Effective allowed patterns with every entry that allows them, sorted by pattern. */
  public SortedMap<HostPattern, List<Provenance>> entries() {
    return entries;
  }

  /** Deny patterns with their entries, sorted by pattern. */
  public SortedMap<HostPattern, List<Provenance>> denied() {
    return denied;
  }

  /** The last good list of each source, by name (with its revision). */
  public SortedMap<String, SourceList> sources() {
    return sources;
  }

  /** The config's routes this snapshot was built with. */
  public List<SourceRoute> configRoutes() {
    return configRoutes;
  }

  /** Every route in precedence order: the config's, then each source's in name order. */
  public List<SourceRoute> routes() {
    List<SourceRoute> all = new ArrayList<>(configRoutes);
    sources.values().forEach(l -> all.addAll(l.routes()));
    return Collections.unmodifiableList(all);
  }

  /** The list of one source, if this snapshot has one. */
  public Optional<SourceList> source(String name) {
    return Optional.ofNullable(sources.get(name));
  }

  private static String computeVersion(
      Map<HostPattern, List<Provenance>> effective,
      Map<HostPattern, List<Provenance>> denied,
      Map<String, RouteHit> exactRoutes,
      Map<String, RouteHit> wildRoutes) {
    // provenance refs (line numbers, commits) are left out on purpose: the version changes when
    // what is allowed, denied or routed changes, not when a line moves in a file
    List<String> lines = new ArrayList<>();
    effective.forEach(
        (p, prov) -> {
          Set<String> names = new TreeSet<>();
          prov.forEach(x -> names.add(x.source()));
          lines.add("A " + p + " " + String.join(",", names));
        });
    denied.keySet().forEach(p -> lines.add("D " + p));
    exactRoutes.forEach((h, r) -> lines.add("R " + h + " " + r.backend()));
    wildRoutes.forEach((h, r) -> lines.add("R *." + h + " " + r.backend()));
    Collections.sort(lines);
    return AllowListFileParser.sha256Hex(String.join("\n", lines).getBytes(StandardCharsets.UTF_8))
        .substring(0, 12);
  }

  /** Same sources, same lists, same config routes. */
  boolean sameContent(AllowListSnapshot other) {
    return configRoutes.equals(other.configRoutes) && sources.equals(other.sources);
  }

  Set<String> sourceNames() {
    return new HashSet<>(sources.keySet());
  }

  @Override
  public String toString() {
    return "AllowListSnapshot[version=" + version + ", hosts=" + entries.size() + ", sources="
        + sources.keySet() + "]";
  }
}
