package dev.edgeproxy.allowlist;

import dev.edgeproxy.yaml.YamlTree;
import dev.edgeproxy.yaml.YamlTree.Field;
import dev.edgeproxy.yaml.YamlTree.Node;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
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
      throw ctx.error(root, "expected a map with keys allow, deny, routes; got " + root.describe());
    }
    for (Field f : root.fields().values()) {
      if (!TOP_KEYS.contains(f.key())) {
        throw ctx.error(f, "unknown key '" + f.key() + "' (expected allow, deny, routes)");
      }
    }
    List<SourceEntry> allow = ctx.patterns(root.fields().get("allow"));
    List<SourceEntry> deny = ctx.patterns(root.fields().get("deny"));
    List<SourceRoute> routes = ctx.routes(root.fields().get("routes"));
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

  private static final class Context {
    private final String source;
    private final String refPrefix;

    Context(String source, String refPrefix) {
      this.source = source;
      this.refPrefix = refPrefix;
    }

    AllowListFormatException error(Node node, String problem) {
      return new AllowListFormatException(refPrefix, node.line(), node.column(), problem);
    }

    AllowListFormatException error(Field field, String problem) {
      return new AllowListFormatException(refPrefix, field.line(), field.column(), problem);
    }

    Provenance provenance(Node node) {
      return new Provenance(source, refPrefix + " line " + node.line());
    }

    List<SourceEntry> patterns(Field field) throws AllowListFormatException {
      if (field == null || field.value().isNull()) {
        return List.of();
      }
      Node list = field.value();
      if (!list.isList()) {
        throw error(list, field.key() + ": expected a list of host names, got " + list.describe());
      }
      List<SourceEntry> out = new ArrayList<>(list.items().size());
      Map<HostPattern, Integer> seen = new HashMap<>();
      for (Node item : list.items()) {
        HostPattern pattern = pattern(field.key(), item);
        Integer first = seen.putIfAbsent(pattern, item.line());
        if (first != null) {
          throw error(
              item,
              field.key() + ": duplicate entry '" + pattern + "' (first at line " + first + ")");
        }
        out.add(new SourceEntry(pattern, provenance(item)));
      }
      return out;
    }

    HostPattern pattern(String key, Node item) throws AllowListFormatException {
      if (!item.isScalar()) {
        throw error(item, key + ": expected a host name, got " + item.describe());
      }
      try {
        return HostPattern.parse(item.text());
      } catch (InvalidHostNameException e) {
        throw error(item, key + ": " + e.getMessage());
      }
    }

    List<SourceRoute> routes(Field field) throws AllowListFormatException {
      if (field == null || field.value().isNull()) {
        return List.of();
      }
      Node list = field.value();
      if (!list.isList()) {
        throw error(list, "routes: expected a list of {hosts, backend}, got " + list.describe());
      }
      List<SourceRoute> out = new ArrayList<>();
      Map<HostPattern, Integer> routed = new HashMap<>();
      for (Node route : list.items()) {
        if (!route.isMap()) {
          throw error(route, "routes: expected a map {hosts, backend}, got " + route.describe());
        }
        for (Field f : route.fields().values()) {
          if (!ROUTE_KEYS.contains(f.key())) {
            throw error(f, "routes: unknown key '" + f.key() + "' (expected hosts, backend)");
          }
        }
        Field hostsField = route.fields().get("hosts");
        Field backendField = route.fields().get("backend");
        if (hostsField == null) {
          throw error(route, "routes: missing 'hosts'");
        }
        if (backendField == null) {
          throw error(route, "routes: missing 'backend'");
        }
        Node hosts = hostsField.value();
        if (!hosts.isList() || hosts.items().isEmpty()) {
          throw error(hosts, "routes.hosts: expected a non-empty list of host names");
        }
        List<HostPattern> patterns = new ArrayList<>();
        for (Node item : hosts.items()) {
          HostPattern p = pattern("routes.hosts", item);
          Integer first = routed.putIfAbsent(p, item.line());
          if (first != null) {
            throw error(
                item, "routes.hosts: '" + p + "' is already routed (first at line " + first + ")");
          }
          patterns.add(p);
        }
        Node backend = backendField.value();
        if (!backend.isScalar() || backend.text().isBlank()) {
          throw error(backend, "routes.backend: expected a backend name, got " + backend.describe());
        }
        out.add(new SourceRoute(patterns, backend.text().strip(), provenance(route)));
      }
      return out;
    }
  }
}
