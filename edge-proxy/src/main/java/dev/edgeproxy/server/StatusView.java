package dev.edgeproxy.server;

import dev.edgeproxy.allowlist.AllowListDiff;
import dev.edgeproxy.allowlist.AllowListRegistry;
import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.Provenance;
import dev.edgeproxy.allowlist.SourceStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
   * active}]}, connections{active}}. {@code snapshot.heldBack} is null or the size of the pending
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
    out.put("snapshot", snapshot);

    Map<String, SourceStatus> statuses = registry.sourceStatus();
    Map<String, Object> sources = new LinkedHashMap<>();
    for (String name : ctx.allowList().sources().keySet()) {
      sources.put(name, source(name, statuses.get(name)));
    }
    out.put("sources", sources);

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
      out.add(m);
    }
  }

  /**
   * {@code /allowlist}: {@code version, entries[{pattern, sources[{source, ref}]}], denied[same
   * shape], heldBack} where heldBack is null or {@code {added:[entry], removed:[entry]}}.
   */
  static Map<String, Object> allowList(AllowListRegistry registry) {
    AllowListSnapshot snap = registry.current();
    Optional<AllowListDiff> held = registry.heldBack();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("version", snap.version());
    out.put("entries", entries(snap.entries()));
    out.put("denied", entries(snap.denied()));
    out.put("heldBack", held.map(StatusView::diff).orElse(null));
    return out;
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
