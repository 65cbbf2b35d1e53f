package dev.edgeproxy.allowlist;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What follows a swap: the diff logged once, the snapshot saved to the state file (when
 * configured), readiness completed and the listeners called, in order, on the swapping thread.
 */
final class SnapshotPublisher {
  // the registry's logger, as before the split: log filters and alerts name it
  private static final Logger log = LoggerFactory.getLogger(AllowListRegistry.class);
  private static final int MAX_LOGGED_HOSTS = 200;

  private final CompletableFuture<AllowListSnapshot> ready = new CompletableFuture<>();
  private final List<Consumer<SnapshotChange>> listeners = new CopyOnWriteArrayList<>();
  private final Optional<StateFile> stateFile;

  SnapshotPublisher(Optional<Path> stateFile, Clock clock, StateFile.Writer writer) {
    this.stateFile =
        Objects.requireNonNull(stateFile, "stateFile").map(f -> new StateFile(f, writer, clock));
  }

  /** Announces the swap {@code change} made for {@code cause}. */
  void published(SnapshotChange change, String cause) {
    AllowListSnapshot before = change.previous();
    AllowListSnapshot after = change.current();
    AllowListDiff diff = change.diff();
    if (diff.isEmpty()) {
      log.info(
          "allow-list {} -> {} ({}): no host added or removed, {} hosts",
          before.version(),
          after.version(),
          cause,
          after.hostCount());
    } else {
      log.info(
          "allow-list {} -> {} ({}): {} added, {} removed, {} hosts; added: {}; removed: {}",
          before.version(),
          after.version(),
          cause,
          diff.added().size(),
          diff.removed().size(),
          after.hostCount(),
          summary(diff.added()),
          summary(diff.removed()));
    }
    stateFile.ifPresent(file -> file.save(after));
    ready.complete(after);
    for (Consumer<SnapshotChange> l : listeners) {
      try {
        l.accept(change);
      } catch (RuntimeException e) {
        log.error("allow-list listener failed", e);
      }
    }
  }

  /** Readiness without a swap: a restored, unchanged or held-back answer. */
  void ready(AllowListSnapshot served) {
    ready.complete(served);
  }

  CompletableFuture<AllowListSnapshot> whenReady() {
    return ready.copy();
  }

  boolean isReady() {
    return ready.isDone();
  }

  void addListener(Consumer<SnapshotChange> listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  Optional<StateSaveFailure> saveFailure() {
    return stateFile.flatMap(StateFile::failure);
  }

  boolean retrySave() {
    return stateFile.map(StateFile::retry).orElse(true);
  }

  /** At most {@value #MAX_LOGGED_HOSTS} entries with their sources, for one log line. */
  static String summary(List<AllowListDiff.DiffEntry> entries) {
    if (entries.isEmpty()) {
      return "-";
    }
    StringBuilder b = new StringBuilder();
    int n = 0;
    for (AllowListDiff.DiffEntry e : entries) {
      if (n == MAX_LOGGED_HOSTS) {
        b.append(" ... and ").append(entries.size() - n).append(" more");
        break;
      }
      if (n++ > 0) {
        b.append(", ");
      }
      b.append(e.pattern()).append(' ').append(e.sources());
    }
    return b.toString();
  }
}
