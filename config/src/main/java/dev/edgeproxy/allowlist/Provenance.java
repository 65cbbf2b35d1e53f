package dev.edgeproxy.allowlist;

import java.util.Objects;

/**
 * Where an entry came from, for {@code check}, {@code /allowlist} and change logs.
 *
 * @param source the source name: {@code file}, {@code git}, {@code route53} or {@code config}
 * @param ref human-readable position inside it, e.g. {@code allowlist.yaml@3f2c1ab line 4} or
 *     {@code Z0123 grafana.example.com. A}
 */
public record Provenance(String source, String ref) {
  public Provenance {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(ref, "ref");
  }

  @Override
  public String toString() {
    return source + " " + ref;
  }
}
