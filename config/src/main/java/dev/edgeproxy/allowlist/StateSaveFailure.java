package dev.edgeproxy.allowlist;

import java.time.Instant;

/**
 * The state file could not be written; shown in {@code /status}, metrics and {@code /readyz}.
 *
 * @param error the last error
 * @param since when saving started failing
 * @param attempts saves tried since then
 * @param unsavedVersion the snapshot version served but not saved
 * @param outdatedFileRemoved whether the older file on disk was removed (else a restart would
 *     restore it)
 */
public record StateSaveFailure(
    String error, Instant since, int attempts, String unsavedVersion, boolean outdatedFileRemoved) {}
