package dev.edgeproxy.server.admin;

import dev.edgeproxy.allowlist.AllowListDiff;
import dev.edgeproxy.allowlist.AllowListRegistry;
import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.Provenance;
import dev.edgeproxy.allowlist.SourceStatus;
import dev.edgeproxy.allowlist.StateSaveFailure;
import dev.edgeproxy.server.pool.BackendPool;
import dev.edgeproxy.server.pool.PoolEndpoint;
import dev.edgeproxy.server.pool.ResolveFailure;
import dev.edgeproxy.server.routing.EntryLookup;
import dev.edgeproxy.server.sources.SourceSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The JSON documents of {@code /status} and {@code /allowlist}, as ordered maps (keys exactly as
 * the spec names them; extra keys are additions). Built from immutable snapshots and copies, so
 * they can be built on any thread.
 */
final class StatusView {
  /** One provenance in JSON. */
  record Ref(String source, String ref) {}

  /** {@code /status} shows the size of a held-back change; {@code /allowlist} shows it whole. */
  record HeldCount(int added, int removed) {}

  record Connections(long active) {}

  private StatusView() {}

  /**
   * {@code /status}: {@code node, version, configHash, uptimeSeconds, snapshot{version,hosts,heldBack},
   * sources{name:{lastSuccess,lastError,commit|records,...}}, pools{name:[{endpoint,healthy,
   * active,listener,host,address,resolveError,resolveFailingSince,resolveAttempts}]},
   * connections{active}}. {@code snapshot.heldBack} is null or the size of the pending
   * change ({@code added}, {@code removed}); {@code /allowlist} lists it in full.
   */
  static Map<String, Object> status(AdminContext ctx) {
    AllowListRegistry registry = ctx.allowList().registry();
    AllowListSnapshot snap = registry.current();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("node", ctx.config().node().name());
    out.put("version", ctx.version());
    out.put("configHash", ctx.configHash().get());
    out.put("uptimeSeconds", ctx.uptime().get().toSeconds());

    Map<String, Object> snapshot = new LinkedHashMap<>();
    snapshot.put("version", snap.version());
    snapshot.put("hosts", snap.hostCount());
    snapshot.put(
        "heldBack",
        registry
            .heldBack()
            .map(d -> (Object) new HeldCount(d.added().size(), d.removed().size()))
            .orElse(null));
    snapshot.put("ready", registry.isReady());
    snapshot.put("restoredSavedAt", registry.restoredSavedAt().map(StatusView::iso).orElse(null));
    snapshot.put("saveFailure", registry.saveFailure().map(StatusView::saveFailure).orElse(null));
    out.put("snapshot", snapshot);

    Map<String, SourceStatus> statuses = registry.sourceStatus();
    Map<String, Object> sources = new LinkedHashMap<>();
    for (String name : ctx.allowList().sources().keySet()) {
      Map<String, Object> m = source(name, statuses.get(name));
      m.put("runningSince", ctx.allowList().runningSince(name).map(StatusView::iso).orElse(null));
      sources.put(name, m);
    }
    out.put("sources", sources);
    out.put("lastSourceReload", ctx.allowList().lastReload().map(StatusView::reload).orElse(null));

    Map<String, Object> pools = new LinkedHashMap<>();
    ctx.routing()
        .get()
        .pools()
        .values()
        .stream()
        .sorted((a, b) -> a.name().compareTo(b.name()))
        .forEach(p -> pools.put(p.name(), endpoints(p)));
    out.put("pools", pools);
    out.put("connections", new Connections(ctx.activeConnections().getAsLong()));
    out.put("outOfService", ctx.outOfService().get());
    return out;
  }

  private static Map<String, Object> source(String name, SourceStatus s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lastSuccess", s == null ? null : iso(s.lastSuccess()));
    m.put("lastError", s == null ? null : s.lastError());
    if (name.equals("git")) {
      m.put("commit", s == null ? null : s.revision());
    } else {
      m.put("records", s == null ? null : s.entries());
      m.put("revision", s == null ? null : s.revision());
    }
    m.put("lastAttempt", s == null ? null : iso(s.lastAttempt()));
    m.put("state", SourceState.of(s).label());
    m.put("heldBackSince", s == null ? null : iso(s.heldBackSince()));
    return m;
  }

  /** A source's state in one word: a held-back answer is neither a success nor an error. */
  enum SourceState {
    PENDING,
    OK,
    HELD_BACK,
    FAILING;

    static SourceState of(SourceStatus s) {
      if (s == null || s.lastAttempt() == null) {
        return PENDING;
      }
      if (s.lastError() != null) {
        return FAILING;
      }
      return s.heldBackSince() != null ? HELD_BACK : OK;
    }

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private static Map<String, Object> reload(SourceSet.Reload r) {
    Map<String, Object> changes = new LinkedHashMap<>();
    r.changes().forEach((name, change) -> changes.put(name, change.name().toLowerCase(java.util.Locale.ROOT)));
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("at", iso(r.at()));
    m.put("changes", changes);
    return m;
  }

  private static Map<String, Object> saveFailure(StateSaveFailure f) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("error", f.error());
    m.put("since", iso(f.since()));
    m.put("attempts", f.attempts());
    m.put("unsavedVersion", f.unsavedVersion());
    m.put("outdatedFileRemoved", f.outdatedFileRemoved());
    return m;
  }

  private static List<Map<String, Object>> endpoints(BackendPool pool) {
    List<Map<String, Object>> out = new ArrayList<>();
    addEndpoints(out, pool.tlsEndpoints(), "tls");
    addEndpoints(out, pool.httpEndpoints(), "http");
    return out;
  }

  private static void addEndpoints(
      List<Map<String, Object>> out, List<PoolEndpoint> endpoints, String kind) {
    for (PoolEndpoint e : endpoints) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("endpoint", e.label());
      m.put("healthy", e.healthy());
      m.put("active", e.activeConnections());
      m.put("listener", kind);
      // The name as configured, the address connections go to (kept while the name stops
      // resolving; null until it first resolves) and, while it does not resolve, why and since when.
      m.put("host", e.host());
      m.put("address", e.resolvedAddress().orElse(null));
      Optional<ResolveFailure> failure = e.resolveFailure();
      m.put("resolveError", failure.map(ResolveFailure::error).orElse(null));
      m.put("resolveFailingSince", failure.map(f -> iso(f.since())).orElse(null));
      m.put("resolveAttempts", failure.map(ResolveFailure::attempts).orElse(0));
      out.add(m);
    }
  }

  /**
   * {@code /allowlist}: {@code version, entries[{pattern, sources[{source, ref}], denied}],
   * denied[{pattern, sources}], heldBack} where heldBack is null or {@code {added:[entry],
   * removed:[entry]}}. {@code entries} holds the effective entries ({@code denied: false}) and, in
   * pattern order among them, the allow entries a deny overrides ({@code denied: true}, with the
   * deny entry's pattern and provenance in {@code deniedBy}).
   */
  static Map<String, Object> allowList(AllowListRegistry registry) {
    AllowListSnapshot snap = registry.current();
    Optional<AllowListDiff> held = registry.heldBack();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("version", snap.version());
    out.put("entries", entriesWithOverridden(snap));
    out.put("denied", entries(snap.denied()));
    out.put("heldBack", held.map(StatusView::diff).orElse(null));
    return out;
  }

  private static List<Map<String, Object>> entriesWithOverridden(AllowListSnapshot snap) {
    TreeMap<HostPattern, Map<String, Object>> all = new TreeMap<>();
    snap.entries().forEach((pattern, provenance) -> {
      Map<String, Object> m = entry(pattern, provenance);
      m.put("denied", false);
      all.put(pattern, m);
    });
    for (EntryLookup.Overridden o : EntryLookup.overridden(snap)) {
      Map<String, Object> m = entry(o.pattern(), o.allowedBy());
      m.put("denied", true);
      m.put("deniedBy", entry(o.deniedPattern(), o.deniedBy()));
      all.put(o.pattern(), m);
    }
    return new ArrayList<>(all.values());
  }

  private static Map<String, Object> diff(AllowListDiff d) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("added", d.added().stream().map(e -> entry(e.pattern(), e.provenance())).toList());
    m.put("removed", d.removed().stream().map(e -> entry(e.pattern(), e.provenance())).toList());
    return m;
  }

  private static List<Map<String, Object>> entries(Map<HostPattern, List<Provenance>> entries) {
    List<Map<String, Object>> out = new ArrayList<>(entries.size());
    entries.forEach((pattern, provenance) -> out.add(entry(pattern, provenance)));
    return out;
  }

  private static Map<String, Object> entry(HostPattern pattern, List<Provenance> provenance) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("pattern", pattern.toString());
    m.put(
        "sources",
        provenance.stream().map(p -> new Ref(p.source(), p.ref())).toList());
    return m;
  }

  private static String iso(Instant t) {
    return t == null ? null : t.toString();
  }
}
