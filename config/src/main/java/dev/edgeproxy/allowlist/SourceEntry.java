package dev.edgeproxy.allowlist;

import java.util.Objects;

/** One allow or deny pattern as one source reported it. */
public record SourceEntry(HostPattern pattern, Provenance provenance) {
  public SourceEntry {
    Objects.requireNonNull(pattern, "pattern");
    Objects.requireNonNull(provenance, "provenance");
  }
}
