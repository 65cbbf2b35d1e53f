package dev.edgeproxy.allowlist;

import java.time.Instant;

/**
 * How one source has been doing, for {@code /status} and metrics.
 *
 * @param lastSuccess when it last gave a valid list, or null
 * @param lastAttempt when it was last asked, or null
 * @param lastError the error of the last attempt, null when it succeeded
 * @param revision revision of the last valid list (git commit, content hash, record count), or
 *     null
 * @param entries allow entries in the last valid list
 */
public record SourceStatus(
    Instant lastSuccess, Instant lastAttempt, String lastError, String revision, int entries) {}
