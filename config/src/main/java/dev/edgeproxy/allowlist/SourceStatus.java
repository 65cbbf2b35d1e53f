package dev.edgeproxy.allowlist;

import java.time.Instant;

/**
 * How one source has been doing, for {@code /status} and metrics.
 *
 * @param lastSuccess when it last gave a valid list that the node serves (applied or unchanged),
 *     or null; a held-back answer does not count
 * @param lastAttempt when it was last asked, or null
 * @param lastError the error of the last attempt, null when it succeeded
 * @param revision revision of the last valid list served (git commit, content hash, record count),
 *     or null
 * @param entries allow entries in the last valid list served
 * @param heldBackSince since when its newer list is held back by {@code maxShrink}, or null
 */
public record SourceStatus(
    Instant lastSuccess,
    Instant lastAttempt,
    String lastError,
    String revision,
    int entries,
    Instant heldBackSince) {

  static SourceStatus succeeded(Instant now, SourceList list) {
    return new SourceStatus(now, now, null, list.revision(), list.allow().size(), null);
  }

  /** Answered, but the answer waits for a force: the served list (and lastSuccess) stay. */
  static SourceStatus heldBack(SourceStatus old, Instant now, SourceList served) {
    return new SourceStatus(
        old == null ? null : old.lastSuccess(),
        now,
        null,
        served == null ? null : served.revision(),
        served == null ? 0 : served.allow().size(),
        old == null || old.heldBackSince() == null ? now : old.heldBackSince());
  }

  static SourceStatus failed(SourceStatus old, Instant now, String error, SourceList served) {
    return new SourceStatus(
        old == null ? null : old.lastSuccess(),
        now,
        error,
        served == null ? null : served.revision(),
        served == null ? 0 : served.allow().size(),
        old == null ? null : old.heldBackSince());
  }
}
