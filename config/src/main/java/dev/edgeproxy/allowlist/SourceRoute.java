package dev.edgeproxy.allowlist;

import java.util.List;
import java.util.Objects;

/** A route from an allow-list file: these hosts are served by that backend pool. */
public record SourceRoute(List<HostPattern> hosts, String backend, Provenance provenance) {
  public SourceRoute {
    hosts = List.copyOf(hosts);
    Objects.requireNonNull(backend, "backend");
    Objects.requireNonNull(provenance, "provenance");
  }
}
