package dev.edgeproxy.allowlist;

import java.util.ArrayList;
import java.util.List;

/** Test helpers: build source lists from pattern texts. */
final class Lists {
  private Lists() {}

  static List<SourceEntry> entries(String source, String... patterns) {
    List<SourceEntry> out = new ArrayList<>();
    for (int i = 0; i < patterns.length; i++) {
      out.add(new SourceEntry(HostPattern.parse(patterns[i]), new Provenance(source, "line " + (i + 1))));
    }
    return out;
  }

  static SourceList allow(String source, String... patterns) {
    return SourceList.allowOnly(source, "r-" + String.join(",", patterns).hashCode(), entries(source, patterns));
  }

  static SourceList allowDeny(String source, List<String> allow, List<String> deny) {
    return new SourceList(
        source,
        "r1",
        entries(source, allow.toArray(String[]::new)),
        entries(source, deny.toArray(String[]::new)),
        List.of());
  }

  static SourceRoute route(String source, String backend, String... hosts) {
    List<HostPattern> p = new ArrayList<>();
    for (String h : hosts) {
      p.add(HostPattern.parse(h));
    }
    return new SourceRoute(p, backend, new Provenance(source, "route " + backend));
  }

  static HostName host(String h) {
    return HostName.parse(h);
  }
}
