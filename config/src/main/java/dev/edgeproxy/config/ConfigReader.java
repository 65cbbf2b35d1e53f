package dev.edgeproxy.config;

import dev.edgeproxy.yaml.YamlTree.Field;
import dev.edgeproxy.yaml.YamlTree.Node;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads values out of the YAML tree and collects every problem with its place: each getter
 * reports what is wrong and falls back to the default, so that one load tells all problems.
 */
final class ConfigReader {
  /** A scalar value after {@code ${VAR}} substitution, with where it stands. */
  record Val(String text, Node node, String path) {}

  /** A map being read, whose keys are {@code keys}; unknown keys were reported when opened. */
  record M(Node node, String path, Set<String> keys) {
    Field field(String key) {
      if (!keys.contains(key)) {
        throw new IllegalArgumentException(path + ": '" + key + "' is not a key of " + keys);
      }
      return node == null ? null : node.fields().get(key);
    }

    String at(String key) {
      return path.isEmpty() ? key : path + "." + key;
    }

    boolean present() {
      return node != null;
    }
  }

  private final String file;
  private final Map<String, String> env;
  private final Path baseDir;
  final List<ConfigProblem> problems = new ArrayList<>();
  /** Where {@code allowlist.file.path} is written, for problems with the file it names. */
  int allowListFileLine = 1;
  int allowListFileColumn = 1;
  /** Pool names used (routes, defaultBackend, noSni), checked once all pools are known. */
  final List<Val> backendRefs = new ArrayList<>();

  ConfigReader(String file, Map<String, String> env, Path baseDir) {
    this.file = file;
    this.env = env;
    this.baseDir = baseDir;
  }

  /** Where relative paths start; null: the working directory. */
  Path baseDir() {
    return baseDir;
  }

  void problem(int line, int column, String message) {
    problems.add(new ConfigProblem(file, line, column, message));
  }

  void problem(Node node, String path, String message) {
    problem(node.line(), node.column(), path + ": " + message);
  }

  /** Problems already reported inside the map at {@code path} (to avoid piling a second one on). */
  int problemsUnder(String path) {
    int n = 0;
    for (ConfigProblem p : problems) {
      if (p.message().startsWith(path + ".")) {
        n++;
      }
    }
    return n;
  }

  // ---- structure ------------------------------------------------------------------------

  /** Opens the map under {@code key}, written as {@code schema}; absent or null: an empty map. */
  M map(M parent, String key, Class<? extends Record> schema) {
    Field f = parent.field(key);
    Set<String> keys = ConfigKeys.of(schema);
    if (f == null || f.value().isNull()) {
      return new M(null, parent.at(key), keys);
    }
    return open(f.value(), parent.at(key), keys);
  }

  /** Opens {@code node} as a map written as {@code schema}, reporting every other key. */
  M open(Node node, String path, Class<? extends Record> schema) {
    return open(node, path, ConfigKeys.of(schema));
  }

  private M open(Node node, String path, Set<String> keys) {
    if (!node.isMap()) {
      problem(node, path, "expected a map, got " + node.describe());
      return new M(null, path, keys);
    }
    for (Field f : node.fields().values()) {
      if (!keys.contains(f.key())) {
        String where = path.isEmpty() ? f.key() : path + "." + f.key();
        problem(
            f.line(), f.column(), where + ": unknown key" + ConfigValues.suggestion(f.key(), keys));
      }
    }
    return new M(node, path, keys);
  }

  /** Where to point a "missing key" problem: the map, or failing that the document start. */
  int[] position(M m) {
    return m.node == null ? new int[] {1, 1} : new int[] {m.node.line(), m.node.column()};
  }

  void missing(M m, String key) {
    int[] p = position(m);
    problem(p[0], p[1], m.at(key) + ": required");
  }

  // ---- scalars --------------------------------------------------------------------------

  /** The scalar under key; null when absent, a Val with null text when invalid (reported). */
  Val val(M m, String key) {
    Field f = m.field(key);
    if (f == null || f.value().isNull()) {
      return null;
    }
    return scalar(f.value(), m.at(key));
  }

  Val scalar(Node n, String path) {
    if (!n.isScalar()) {
      problem(n, path, "expected a single value, got " + n.describe());
      return bad(n, path);
    }
    String text = substitute(n, path);
    return text == null ? bad(n, path) : new Val(text, n, path);
  }

  /** A value that was reported as invalid: getters use their default without a second report. */
  private static Val bad(Node n, String path) {
    return new Val(null, n, path);
  }

  private String substitute(Node n, String path) {
    return ConfigValues.substitute(n.text(), env, why -> problem(n, path, why));
  }

  /** A list of scalars; a single scalar counts as a one-item list. Null when absent. */
  List<Val> vals(M m, String key) {
    Field f = m.field(key);
    if (f == null || f.value().isNull()) {
      return null;
    }
    Node n = f.value();
    String path = m.at(key);
    if (n.isScalar()) {
      Val v = scalar(n, path);
      return v.text == null ? List.of() : List.of(v);
    }
    if (!n.isList()) {
      problem(n, path, "expected a value or a list, got " + n.describe());
      return List.of();
    }
    List<Val> out = new ArrayList<>();
    for (Node item : n.items()) {
      Val v = scalar(item, path);
      if (v.text != null) {
        out.add(v);
      }
    }
    return out;
  }

  String string(M m, String key, String dflt) {
    Val v = val(m, key);
    if (v == null || v.text == null) {
      return dflt;
    }
    if (v.text.isBlank()) {
      problem(v.node, v.path, "must not be empty");
      return dflt;
    }
    return v.text.strip();
  }

  String required(M m, String key) {
    Val v = val(m, key);
    if (v == null) {
      if (m.present()) {
        missing(m, key);
      }
      return null;
    }
    if (v.text == null) {
      return null;
    }
    if (v.text.isBlank()) {
      problem(v.node, v.path, "must not be empty");
      return null;
    }
    return v.text.strip();
  }

  boolean bool(M m, String key, boolean dflt) {
    Val v = val(m, key);
    if (v == null || v.text == null) {
      return dflt;
    }
    switch (v.text.strip().toLowerCase(Locale.ROOT)) {
      case "true":
        return true;
      case "false":
        return false;
      default:
        problem(v.node, v.path, "expected true or false, got '" + v.text + "'");
        return dflt;
    }
  }

  Duration duration(M m, String key, Duration dflt) {
    Val v = val(m, key);
    return v == null || v.text == null ? dflt : duration(v, dflt);
  }

  Duration duration(Val v, Duration dflt) {
    try {
      return ValueReader.duration(v.text);
    } catch (ValueReader.Refused e) {
      problem(v.node, v.path, e.getMessage());
      return dflt;
    }
  }

  Duration positiveDuration(M m, String key, Duration dflt) {
    Val v = val(m, key);
    if (v == null || v.text == null) {
      return dflt;
    }
    Duration d = duration(v, null);
    if (d == null) {
      return dflt;
    }
    if (d.isZero()) {
      problem(v.node, v.path, "must be more than 0");
      return dflt;
    }
    return d;
  }

  Optional<Path> path(M m, String key) {
    Val v = val(m, key);
    if (v == null || v.text == null) {
      return Optional.empty();
    }
    return toPath(v);
  }

  Optional<Path> toPath(Val v) {
    try {
      return Optional.of(ValueReader.path(v.text, baseDir));
    } catch (ValueReader.Refused e) {
      problem(v.node, v.path, e.getMessage());
      return Optional.empty();
    }
  }
}
