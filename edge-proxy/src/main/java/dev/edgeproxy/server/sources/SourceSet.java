package dev.edgeproxy.server.sources;

import dev.edgeproxy.allowlist.AllowListSource;
import dev.edgeproxy.allowlist.FileAllowListSource;
import dev.edgeproxy.config.AllowListConfig;
import dev.edgeproxy.config.EdgeProxyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import org.quartz.SchedulerException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configured allow-list sources, built from one configuration and rebuilt from the next on
 * reload: a source whose settings are unchanged keeps running as it is; a changed one is replaced
 * (its run in flight interrupted, its answer discarded); a removed one stops. The local file's
 * watch belongs to the file source it was built with, so the watcher and the reader always agree
 * on the path.
 */
public final class SourceSet {
  private static final Logger log = LoggerFactory.getLogger(SourceSet.class);

  /** What a reload did to a source. */
  public enum Change {
    ADDED,
    CHANGED,
    REMOVED
  }

  /** The last reload that changed sources, for {@code /status}. */
  public record Reload(Instant at, Map<String, Change> changes) {}

  /** A running source and the settings it was built from. */
  private record Entry(Object settings, AllowListSource source) {}

  /** What the file watch last saw of the file source's path. */
  private record FileWatch(FileAllowListSource source, Object stamp) {}

  /** How long closing a replaced or removed source may hold a reload or shutdown. */
  private static final java.time.Duration CLOSE_WAIT = java.time.Duration.ofMillis(500);

  private final SourceScheduler scheduler;
  private final Function<String, SourceRunner.Sink> sinks;
  private final Consumer<String> onAdded;
  // guarded by this
  private final Map<String, Entry> entries = new LinkedHashMap<>();
  private volatile Map<String, AllowListSource> view = Map.of();
  private volatile FileWatch watch;
  private volatile Reload lastReload;

  SourceSet(
      SourceScheduler scheduler, Function<String, SourceRunner.Sink> sinks, Consumer<String> onAdded) {
    this.scheduler = scheduler;
    this.sinks = sinks;
    this.onAdded = onAdded;
  }

  /** The names of the sources a configuration has, in order (file, git, route53). */
  static Set<String> configuredNames(EdgeProxyConfig config) {
    return settings(config).keySet();
  }

  private static Map<String, Object> settings(EdgeProxyConfig config) {
    AllowListConfig a = config.allowlist();
    Map<String, Object> out = new LinkedHashMap<>();
    a.file().ifPresent(f -> out.put(FileAllowListSource.NAME, f));
    a.git().ifPresent(g -> out.put("git", g));
    a.route53().ifPresent(r -> out.put("route53", r));
    return out;
  }

  /**
   * Makes the running sources those of {@code config}.
   *
   * @return what changed, by source (empty on the first call: everything is new then)
   */
  synchronized Map<String, Change> apply(EdgeProxyConfig config) {
    boolean first = view.isEmpty() && lastReload == null && entries.isEmpty();
    Map<String, Object> wanted = settings(config);
    Map<String, Change> changes = new LinkedHashMap<>();
    for (String name : List.copyOf(entries.keySet())) {
      if (!wanted.containsKey(name)) {
        stop(entries.remove(name));
        changes.put(name, Change.REMOVED);
      }
    }
    for (Map.Entry<String, Object> w : wanted.entrySet()) {
      String name = w.getKey();
      Entry running = entries.get(name);
      if (running != null && Objects.equals(running.settings(), w.getValue())) {
        continue;
      }
      if (running != null) {
        stop(running);
      }
      AllowListSource source = build(config, name);
      try {
        scheduler.add(source, Sources.schedule(config, name), sinks.apply(name));
      } catch (SchedulerException | RuntimeException e) {
        // cron expressions are checked at load: this is not expected; the source stays off
        log.error("allow-list source {} cannot be scheduled: {}", name, e.getMessage());
        entries.remove(name);
        closeSource(new Entry(w.getValue(), source));
        continue;
      }
      onAdded.accept(name);
      entries.put(name, new Entry(w.getValue(), source));
      changes.put(name, running == null ? Change.ADDED : Change.CHANGED);
    }
    Map<String, AllowListSource> next = new LinkedHashMap<>();
    entries.forEach((name, e) -> next.put(name, e.source()));
    view = Collections.unmodifiableMap(next);
    if (next.get(FileAllowListSource.NAME) instanceof FileAllowListSource file) {
      if (watch == null || watch.source() != file) {
        watch = new FileWatch(file, stamp(file.path()));
      }
    } else {
      watch = null;
    }
    if (!first && !changes.isEmpty()) {
      lastReload = new Reload(Instant.now(), Collections.unmodifiableMap(changes));
    }
    return first ? Map.of() : changes;
  }

  Map<String, AllowListSource> sources() {
    return view;
  }

  Set<String> names() {
    return view.keySet();
  }

  Optional<Reload> lastReload() {
    return Optional.ofNullable(lastReload);
  }

  void runAll() {
    for (String name : view.keySet()) {
      scheduler.runNow(name);
    }
  }

  /** Runs the file source when its file changed (modification time, size or identity). */
  void pollFile() {
    FileWatch w = watch;
    if (w == null) {
      return;
    }
    Object stamp = stamp(w.source().path());
    if (Objects.equals(stamp, w.stamp())) {
      return;
    }
    synchronized (this) {
      if (watch == w) {
        watch = new FileWatch(w.source(), stamp);
      } else {
        return; // replaced by a reload meanwhile: the new watch decides
      }
    }
    scheduler.runNow(FileAllowListSource.NAME);
  }

  synchronized void close() {
    entries.values().forEach(this::closeSource);
    entries.clear();
    view = Map.of();
    watch = null;
  }

  private void stop(Entry entry) {
    scheduler.remove(entry.source().name());
    closeSource(entry);
  }

  private void closeSource(Entry entry) {
    SourceClosing.close(entry.source(), CLOSE_WAIT);
  }

  private static AllowListSource build(EdgeProxyConfig config, String name) {
    AllowListConfig a = config.allowlist();
    return switch (name) {
      case FileAllowListSource.NAME -> new FileAllowListSource(a.file().orElseThrow().path());
      case "git" -> Sources.git(config, a.git().orElseThrow(), Optional.empty());
      case "route53" -> Sources.route53(a.route53().orElseThrow());
      default -> throw new IllegalArgumentException("unknown allow-list source " + name);
    };
  }

  private static Object stamp(Path path) {
    try {
      BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
      return attrs.lastModifiedTime().toMillis() + "/" + attrs.size() + "/" + attrs.fileKey();
    } catch (NoSuchFileException e) {
      return "missing";
    } catch (IOException e) {
      return "error:" + e;
    }
  }
}
