package dev.edgeproxy.config;

import dev.edgeproxy.yaml.YamlTree.Field;
import dev.edgeproxy.yaml.YamlTree.Node;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Opens the maps of the YAML tree (reporting unknown keys), substitutes {@code ${VAR}} in scalars
 * and collects every problem with its place, so that one load tells all problems.
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

  // ---- scalars --------------------------------------------------------------------------

  /** The scalar {@code n} after substitution; a Val with null text when invalid (reported). */
  Val scalar(Node n, String path) {
    if (!n.isScalar()) {
      problem(n, path, "expected a single value, got " + n.describe());
      return bad(n, path);
    }
    String text = substitute(n, path);
    return text == null ? bad(n, path) : new Val(text, n, path);
  }

  /** A value that was reported as invalid: its default is used without a second report. */
  private static Val bad(Node n, String path) {
    return new Val(null, n, path);
  }

  private String substitute(Node n, String path) {
    return ConfigValues.substitute(n.text(), env, why -> problem(n, path, why));
  }
}
