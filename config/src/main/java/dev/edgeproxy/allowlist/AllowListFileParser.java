package dev.edgeproxy.allowlist;

import dev.edgeproxy.yaml.YamlTree;
import dev.edgeproxy.yaml.YamlTree.Field;
import dev.edgeproxy.yaml.YamlTree.Node;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses the allow-list file format (see {@code allowlist.example.yaml}): optional top-level keys
 * {@code allow} and {@code deny} (lists of host patterns) and {@code routes} (list of {@code
 * {hosts: [...], backend: name}}). Strict: anything else is an error naming line and column, so a
 * typo never silently drops a host. The same parser serves the local file and the Git source.
 */
public final class AllowListFileParser {
  private static final Set<String> TOP_KEYS = Set.of("allow", "deny", "routes");
  private static final Set<String> ROUTE_KEYS = Set.of("hosts", "backend");

  private AllowListFileParser() {}

  /**
   * Parses one allow-list file.
   *
   * @param yamlText the whole file
   * @param sourceName the source for every entry's provenance ({@code file}, {@code git})
   * @param refPrefix the start of every entry's provenance ref, e.g. {@code
   *     allowlist.yaml@3f2c1ab}; entries get {@code refPrefix + " line " + N}, errors {@code
   *     refPrefix:LINE:COLUMN: problem}
   * @return the lists; {@link SourceList#revision()} is the first 12 hex digits of the SHA-256 of
   *     the text (callers such as the Git source may replace it)
   */
  public static SourceList parse(String yamlText, String sourceName, String refPrefix)
      throws AllowListFormatException {
    Node root;
    try {
      root = YamlTree.read(yamlText);
    } catch (YamlTree.SyntaxException e) {
      throw new AllowListFormatException(refPrefix, e.line(), e.column(), e.problem());
    }
    String revision = contentHash(yamlText);
    if (root.isNull()) {
      return new SourceList(sourceName, revision, List.of(), List.of(), List.of());
    }
    Context ctx = new Context(sourceName, refPrefix);
    if (!root.isMap()) {
      ctx.report(root, "expected a map with keys allow, deny, routes; got " + root.describe());
      throw ctx.failure();
    }
    for (Field f : root.fields().values()) {
      if (!TOP_KEYS.contains(f.key())) {
        ctx.report(f, "unknown key '" + f.key() + "' (expected allow, deny, routes)");
      }
    }
    List<SourceEntry> allow = ctx.patterns(root.fields().get("allow"));
    List<SourceEntry> deny = ctx.patterns(root.fields().get("deny"));
    List<SourceRoute> routes = ctx.routes(root.fields().get("routes"));
    if (!ctx.problems.isEmpty()) {
      throw ctx.failure();
    }
    return new SourceList(sourceName, revision, allow, deny, routes);
  }

  /** First 12 hex digits of the SHA-256 of the UTF-8 text: the revision of a file's content. */
  static String contentHash(String text) {
    return sha256Hex(text.getBytes(StandardCharsets.UTF_8)).substring(0, 12);
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Reading state: every problem is collected, and what is wrong is left out of the lists. */
  private static final class Context {
    private final String source;
    private final String refPrefix;
    final List<AllowListFormatException.Problem> problems = new ArrayList<>();

    Context(String source, String refPrefix) {
      this.source = source;
      this.refPrefix = refPrefix;
    }

    void report(Node node, String problem) {
      problems.add(new AllowListFormatException.Problem(node.line(), node.column(), problem));
    }

    void report(Field field, String problem) {
      problems.add(new AllowListFormatException.Problem(field.line(), field.column(), problem));
    }

    /** All problems in document order, the first {@link AllowListFormatException#MAX_PROBLEMS}. */
    AllowListFormatException failure() {
      List<AllowListFormatException.Problem> sorted = new ArrayList<>(problems);
      sorted.sort(
          Comparator.comparingInt(AllowListFormatException.Problem::line)
              .thenComparingInt(AllowListFormatException.Problem::column));
      int kept = Math.min(sorted.size(), AllowListFormatException.MAX_PROBLEMS);
      return new AllowListFormatException(
          refPrefix, sorted.subList(0, kept), sorted.size() - kept);
    }

    Provenance provenance(Node node) {
      return new Provenance(source, refPrefix + " line " + node.line());
    }

    List<SourceEntry> patterns(Field field) {
      if (field == null || field.value().isNull()) {
        return List.of();
      }
      Node list = field.value();
      if (!list.isList()) {
        report(list, field.key() + ": expected a list of host names, got " + list.describe());
        return List.of();
      }
      List<SourceEntry> out = new ArrayList<>(list.items().size());
      Map<HostPattern, Integer> seen = new HashMap<>();
      for (Node item : list.items()) {
        HostPattern pattern = pattern(field.key(), item);
        if (pattern == null) {
          continue;
        }
        Integer first = seen.putIfAbsent(pattern, item.line());
        if (first != null) {
          report(
              item,
              field.key() + ": duplicate entry '" + pattern + "' (first at line " + first + ")");
        } else {
          out.add(new SourceEntry(pattern, provenance(item)));
        }
      }
      return out;
    }

    /** The pattern, or null when reported. */
    HostPattern pattern(String key, Node item) {
      if (!item.isScalar()) {
        report(item, key + ": expected a host name, got " + item.describe());
        return null;
      }
      try {
        return HostPattern.parse(item.text());
      } catch (InvalidHostNameException e) {
        report(item, key + ": " + e.getMessage());
        return null;
      }
    }

    List<SourceRoute> routes(Field field) {
      if (field == null || field.value().isNull()) {
        return List.of();
      }
      Node list = field.value();
      if (!list.isList()) {
        report(list, "routes: expected a list of {hosts, backend}, got " + list.describe());
        return List.of();
      }
      List<SourceRoute> out = new ArrayList<>();
      Map<HostPattern, Integer> routed = new HashMap<>();
      for (Node route : list.items()) {
        int before = problems.size();
        List<HostPattern> patterns = route.isMap() ? hosts(route, routed) : List.of();
        String backend = route.isMap() ? backend(route) : null;
        if (!route.isMap()) {
          report(route, "routes: expected a map {hosts, backend}, got " + route.describe());
        } else if (problems.size() == before) {
          out.add(new SourceRoute(patterns, backend, provenance(route)));
        }
      }
      return out;
    }

    /** The route's hosts (each not routed before); problems reported. */
    private List<HostPattern> hosts(Node route, Map<HostPattern, Integer> routed) {
      for (Field f : route.fields().values()) {
        if (!ROUTE_KEYS.contains(f.key())) {
          report(f, "routes: unknown key '" + f.key() + "' (expected hosts, backend)");
        }
      }
      Field hostsField = route.fields().get("hosts");
      if (hostsField == null) {
        report(route, "routes: missing 'hosts'");
        return List.of();
      }
      Node hosts = hostsField.value();
      if (!hosts.isList() || hosts.items().isEmpty()) {
        report(hosts, "routes.hosts: expected a non-empty list of host names");
        return List.of();
      }
      List<HostPattern> patterns = new ArrayList<>();
      for (Node item : hosts.items()) {
        HostPattern p = pattern("routes.hosts", item);
        if (p == null) {
          continue;
        }
        Integer first = routed.putIfAbsent(p, item.line());
        if (first != null) {
          report(item, "routes.hosts: '" + p + "' is already routed (first at line " + first + ")");
        } else {
          patterns.add(p);
        }
      }
      return patterns;
    }

    /** The route's backend name, or null when reported. */
    private String backend(Node route) {
      Field backendField = route.fields().get("backend");
      if (backendField == null) {
        report(route, "routes: missing 'backend'");
        return null;
      }
      Node backend = backendField.value();
      if (!backend.isScalar() || backend.text().isBlank()) {
        report(backend, "routes.backend: expected a backend name, got " + backend.describe());
        return null;
      }
      return backend.text().strip();
    }
  }
}
