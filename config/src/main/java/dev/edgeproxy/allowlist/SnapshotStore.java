package dev.edgeproxy.allowlist;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves and loads the last good snapshot ({@code allowlist.stateFile}) so a restarted node serves
 * at once even when Git and AWS are unreachable. The file keeps every source's list with
 * provenance and revision, plus the config routes, as JSON.
 *
 * <p>Writes are crash-safe: a temporary file in the same directory is written and fsynced, then
 * atomically renamed over the old one, then the directory is fsynced. A corrupt file never stops
 * startup: {@link #load} logs a warning and reports why.
 */
public final class SnapshotStore {
  private static final Logger log = LoggerFactory.getLogger(SnapshotStore.class);
  private static final int FORMAT = 1;

  /**
   * The largest state file loaded (32 MiB, several times what the bounded sources can produce). A
   * larger file, a FIFO or a device is ignored with a clear problem; the node then starts without
   * it, as on a first start.
   */
  public static final long MAX_BYTES = 32L * 1024 * 1024;
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private SnapshotStore() {}

  /**
   * What {@link #load} found. Both empty: no file yet (first start).
   *
   * @param snapshot the rebuilt snapshot
   * @param savedAt when it was saved
   * @param problem why the file could not be used (it was ignored)
   */
  public record LoadResult(
      Optional<AllowListSnapshot> snapshot, Optional<Instant> savedAt, Optional<String> problem) {
    public LoadResult {
      Objects.requireNonNull(snapshot, "snapshot");
      Objects.requireNonNull(savedAt, "savedAt");
      Objects.requireNonNull(problem, "problem");
    }
  }

  /** Saves {@code snapshot} to {@code file} atomically, stamped with the current time. */
  public static void save(AllowListSnapshot snapshot, Path file) throws IOException {
    save(snapshot, file, Clock.systemUTC());
  }

  static void save(AllowListSnapshot snapshot, Path file, Clock clock) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(toJson(snapshot, clock.instant()));
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    fsyncDirectory(dir);
  }

  /** Makes the rename durable; not every platform or file system can open a directory. */
  private static void fsyncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      log.debug("cannot fsync directory {}: {}", dir, e.toString());
    }
  }

  /**
   * Loads a saved snapshot. Never throws: a missing file gives an empty result, an unreadable or
   * corrupt one an empty result with {@link LoadResult#problem()} (also logged as a warning).
   */
  public static LoadResult load(Path file) {
    byte[] bytes;
    try {
      bytes = BoundedFile.read(file, MAX_BYTES, "state file");
    } catch (BoundedFile.Problem e) {
      if (e.missing()) {
        return new LoadResult(Optional.empty(), Optional.empty(), Optional.empty());
      }
      return problem(file, e.getMessage());
    }
    try {
      JsonNode root = JSON.readTree(bytes);
      if (root == null || !root.isObject()) {
        return problem(file, "not a JSON object");
      }
      int format = root.path("format").asInt(-1);
      if (format != FORMAT) {
        return problem(file, "unknown format " + root.path("format"));
      }
      Instant savedAt = Instant.parse(text(root, "savedAt"));
      List<SourceRoute> configRoutes = routes(root.path("configRoutes"));
      Map<String, SourceList> sources = new HashMap<>();
      JsonNode src = root.path("sources");
      if (!src.isObject()) {
        return problem(file, "missing 'sources'");
      }
      for (var e : src.properties()) {
        JsonNode s = e.getValue();
        sources.put(
            e.getKey(),
            new SourceList(
                e.getKey(),
                text(s, "revision"),
                entries(s.path("allow")),
                entries(s.path("deny")),
                routes(s.path("routes"))));
      }
      AllowListSnapshot snapshot = AllowListSnapshot.build(configRoutes, sources);
      String saved = root.path("version").asText("");
      if (!saved.equals(snapshot.version())) {
        // another release may hash differently; the lists themselves were read fine
        log.info(
            "allow-list state file {}: saved version {} rebuilds as {}",
            file,
            saved,
            snapshot.version());
      }
      return new LoadResult(Optional.of(snapshot), Optional.of(savedAt), Optional.empty());
    } catch (IOException | RuntimeException e) {
      return problem(file, "corrupt: " + e.getMessage());
    }
  }

  private static LoadResult problem(Path file, String why) {
    String message = "allow-list state file " + file + " ignored: " + why;
    log.warn(message);
    return new LoadResult(Optional.empty(), Optional.empty(), Optional.of(message));
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException("missing '" + field + "'");
    }
    return v.asText();
  }

  private static List<SourceEntry> entries(JsonNode array) {
    List<SourceEntry> out = new ArrayList<>();
    if (array.isMissingNode()) {
      return out;
    }
    if (!array.isArray()) {
      throw new IllegalArgumentException("expected a list of entries");
    }
    for (JsonNode e : array) {
      out.add(
          new SourceEntry(
              HostPattern.parse(text(e, "pattern")),
              new Provenance(text(e, "source"), text(e, "ref"))));
    }
    return out;
  }

  private static List<SourceRoute> routes(JsonNode array) {
    List<SourceRoute> out = new ArrayList<>();
    if (array.isMissingNode()) {
      return out;
    }
    if (!array.isArray()) {
      throw new IllegalArgumentException("expected a list of routes");
    }
    for (JsonNode r : array) {
      List<HostPattern> hosts = new ArrayList<>();
      JsonNode h = r.path("hosts");
      if (!h.isArray()) {
        throw new IllegalArgumentException("route without hosts");
      }
      for (JsonNode host : h) {
        hosts.add(HostPattern.parse(host.asText()));
      }
      out.add(
          new SourceRoute(
              hosts, text(r, "backend"), new Provenance(text(r, "source"), text(r, "ref"))));
    }
    return out;
  }

  private static ObjectNode toJson(AllowListSnapshot snapshot, Instant savedAt) {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("version", snapshot.version());
    root.put("savedAt", savedAt.toString());
    root.put("hosts", snapshot.hostCount());
    root.set("configRoutes", routesJson(snapshot.configRoutes()));
    ObjectNode sources = root.putObject("sources");
    for (SourceList list : snapshot.sources().values()) {
      ObjectNode s = sources.putObject(list.source());
      s.put("revision", list.revision());
      s.set("allow", entriesJson(list.allow()));
      s.set("deny", entriesJson(list.deny()));
      s.set("routes", routesJson(list.routes()));
    }
    return root;
  }

  private static ArrayNode entriesJson(List<SourceEntry> entries) {
    ArrayNode out = JSON.createArrayNode();
    for (SourceEntry e : entries) {
      ObjectNode o = out.addObject();
      o.put("pattern", e.pattern().toString());
      o.put("source", e.provenance().source());
      o.put("ref", e.provenance().ref());
    }
    return out;
  }

  private static ArrayNode routesJson(List<SourceRoute> routes) {
    ArrayNode out = JSON.createArrayNode();
    for (SourceRoute r : routes) {
      ObjectNode o = out.addObject();
      ArrayNode hosts = o.putArray("hosts");
      r.hosts().forEach(h -> hosts.add(h.toString()));
      o.put("backend", r.backend());
      o.put("source", r.provenance().source());
      o.put("ref", r.provenance().ref());
    }
    return out;
  }
}
