package dev.edgeproxy.allowlist;

import java.util.List;
import java.util.Objects;

/**
 * The complete, validated answer of one allow-list source at one moment. Immutable.
 *
 * @param source the source name ({@code file}, {@code git}, {@code route53})
 * @param revision what was read: a git commit id, a file content hash, a record count; shown in
 *     {@code /status}
 * @param allow patterns this source makes public
 * @param deny patterns this source forbids (deny wins over every allow)
 * @param routes host-to-pool routes this source adds (after those of the config file)
 */
public record SourceList(
    String source,
    String revision,
    List<SourceEntry> allow,
    List<SourceEntry> deny,
    List<SourceRoute> routes) {
  public SourceList {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(revision, "revision");
    allow = List.copyOf(allow);
    deny = List.copyOf(deny);
    routes = List.copyOf(routes);
  }

  public static SourceList allowOnly(String source, String revision, List<SourceEntry> allow) {
    return new SourceList(source, revision, allow, List.of(), List.of());
  }
}
