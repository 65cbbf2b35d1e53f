package dev.edgeproxy.allowlist;

import java.util.Objects;

/** A snapshot swap, given to registry listeners after the new snapshot is current. */
public record SnapshotChange(
    AllowListSnapshot previous, AllowListSnapshot current, AllowListDiff diff) {
  public SnapshotChange {
    Objects.requireNonNull(previous, "previous");
    Objects.requireNonNull(current, "current");
    Objects.requireNonNull(diff, "diff");
  }
}
