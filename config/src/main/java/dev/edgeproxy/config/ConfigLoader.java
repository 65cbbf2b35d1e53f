package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.yaml.YamlTree;
import dev.edgeproxy.yaml.YamlTree.Node;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Loads and validates {@code edge-proxy.yaml} into an {@link EdgeProxyConfig}.
 *
 * <ul>
 *   <li>Durations: {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}, {@code 1d} (and {@code 0}).
 *   <li>Sizes: {@code 16384}, {@code 16KiB}, {@code 1MiB} (also {@code B}, {@code GiB}, {@code KB},
 *       {@code MB}).
 *   <li>Percentages: {@code 50%} or a fraction {@code 0.5}.
 *   <li>{@code ${VAR}} anywhere in a scalar value is replaced from the environment; an unset
 *       variable is an error naming it. {@code ${VAR:-default}} gives a default, {@code $${} a
 *       literal {@code ${}.
 *   <li>Unknown keys are errors (a typo never silently falls back to a default).
 *   <li>Relative paths are relative to the config file's directory ({@link #loadFromString}: to the
 *       working directory).
 * </ul>
 *
 * <p>The keys of each map are those of its record ({@link ConfigKeys}); every map is bound to its
 * record with Jackson ({@link RecordBinder}): each key's default, bounds and whether it is
 * required are declared once, on its record component ({@link ConfigSchema}). The listeners and
 * the pools are read by a section class each, which checks across their values; {@link
 * CrossChecks} checks what spans sections (pool names, hosts routed twice).
 *
 * <p>Every problem is collected, not only the first, and reported as {@code FILE:LINE:COLUMN: key.path:
 * message}.
 */
public final class ConfigLoader {
  /** The largest configuration file read (1 MiB). */
  public static final long MAX_CONFIG_BYTES = 1024 * 1024;

  private ConfigLoader() {}

  /** Loads {@code file} with the process environment. */
  public static EdgeProxyConfig load(Path file) throws ConfigException {
    return load(file, System.getenv());
  }

  /** Loads {@code file}, taking {@code ${VAR}} values from {@code env}. */
  public static EdgeProxyConfig load(Path file, Map<String, String> env) throws ConfigException {
    return loadLocated(file, env).config();
  }

  /**
   * Loads YAML text. {@code fileLabel} is the file name used in problems; relative paths in the
   * config stay relative (to the working directory).
   */
  public static EdgeProxyConfig loadFromString(
      String yaml, String fileLabel, Map<String, String> env) throws ConfigException {
    return parse(yaml, fileLabel, env, null).config();
  }

  /** A loaded config plus where its {@code allowlist.file.path} value stands, for validation. */
  record Located(EdgeProxyConfig config, int allowListFileLine, int allowListFileColumn) {}

  static Located loadLocated(Path file, Map<String, String> env) throws ConfigException {
    String label = file.toString();
    String text;
    try {
      // as bounded and strict as the allow-list file: validate and run read it the same way
      text = dev.edgeproxy.allowlist.BoundedFile.readUtf8(file, MAX_CONFIG_BYTES, "configuration file");
    } catch (dev.edgeproxy.allowlist.BoundedFile.Problem e) {
      throw new ConfigException(
          List.of(new ConfigProblem(label, 1, 1, e.missing() ? "file does not exist" : e.getMessage())));
    }
    Path base = file.toAbsolutePath().getParent();
    return parse(text, label, env, base);
  }


  private static Located parse(String yaml, String label, Map<String, String> env, Path baseDir)
      throws ConfigException {
    Node root;
    try {
      root = YamlTree.read(yaml);
    } catch (YamlTree.SyntaxException e) {
      throw new ConfigException(List.of(new ConfigProblem(label, e.line(), e.column(), e.problem())));
    }
    ConfigReader reader = new ConfigReader(label, env, baseDir);
    EdgeProxyConfig config = root(reader, root);
    if (!reader.problems.isEmpty()) {
      List<ConfigProblem> sorted = new ArrayList<>(reader.problems);
      sorted.sort(Comparator.comparingInt(ConfigProblem::line).thenComparingInt(ConfigProblem::column));
      throw new ConfigException(sorted);
    }
    return new Located(config, reader.allowListFileLine, reader.allowListFileColumn);
  }

  /**
   * The pools and listeners are read by their sections (each checks across its own values), the
   * rest bound to the root record; then the checks that span sections.
   */
  private static EdgeProxyConfig root(ConfigReader r, Node rootNode) {
    M root =
        rootNode.isNull()
            ? new M(null, "", ConfigKeys.of(EdgeProxyConfig.class))
            : r.open(rootNode, "", EdgeProxyConfig.class);
    Map<String, BackendPoolConfig> backends = new BackendsSection(r).backends(root);
    ListenersConfig listeners = new ListenersSection(r).listeners(root);
    CrossChecks checks = new CrossChecks(r);
    EdgeProxyConfig config =
        RecordBinder.bind(
            r,
            root,
            EdgeProxyConfig.class,
            checks::seen,
            Map.of("listeners", listeners, "backends", backends));
    checks.check(config, root);
    return config;
  }
}
