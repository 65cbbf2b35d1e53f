package dev.edgeproxy.allowlist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves each applied snapshot to {@code allowlist.stateFile} and remembers when that failed (disk
 * full, read-only), so that the failure is shown (status, metric, readiness) and retried until a
 * save succeeds.
 *
 * <p>While the file on disk is older than the snapshot served, a restart would restore hosts the
 * node no longer allows. So a failed save also removes the old file (removing works on a full disk)
 * and says whether it could: a restarted node then waits for its sources instead of serving a
 * revoked host.
 */
final class StateFile {
  private static final Logger log = LoggerFactory.getLogger(StateFile.class);

  /** Writes a snapshot to a file; {@link SnapshotStore#save} outside tests. */
  interface Writer {
    void write(AllowListSnapshot snapshot, Path file, Clock clock) throws IOException;
  }

  private final Path file;
  private final Writer writer;
  private final Clock clock;
  // guarded by this
  private AllowListSnapshot unsaved;
  private StateSaveFailure failure;

  StateFile(Path file, Writer writer, Clock clock) {
    this.file = Objects.requireNonNull(file, "file");
    this.writer = Objects.requireNonNull(writer, "writer");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Saves {@code snapshot}; on failure records it and keeps it for {@link #retry()}. */
  synchronized void save(AllowListSnapshot snapshot) {
    unsaved = snapshot;
    attempt();
  }

  /** Saves the last snapshot again if its save failed; true when nothing is left unsaved. */
  synchronized boolean retry() {
    if (unsaved != null) {
      attempt();
    }
    return unsaved == null;
  }

  synchronized Optional<StateSaveFailure> failure() {
    return Optional.ofNullable(failure);
  }

  private void attempt() {
    try {
      writer.write(unsaved, file, clock);
      if (failure != null) {
        log.info(
            "allow-list state saved to {} again (version {}) after failing since {}",
            file,
            unsaved.version(),
            failure.since());
      }
      unsaved = null;
      failure = null;
    } catch (IOException | RuntimeException e) {
      boolean first = failure == null;
      boolean removed = first ? removeOutdated() : failure.outdatedFileRemoved();
      failure =
          new StateSaveFailure(
              e.toString(),
              first ? clock.instant() : failure.since(),
              first ? 1 : failure.attempts() + 1,
              unsaved.version(),
              removed);
      if (first) {
        log.error(
            "cannot save allow-list state to {}: {}; retrying until it works. {}",
            file,
            e.toString(),
            removed
                ? "The outdated file was removed, so a restart waits for the sources."
                : "The outdated file could not be removed: a restart now would restore an older"
                    + " allow-list.");
      } else {
        log.debug("allow-list state still not saved to {}: {}", file, e.toString());
      }
    }
  }

  private boolean removeOutdated() {
    try {
      Files.deleteIfExists(file);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
