package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.config.ConfigReader.Val;
import dev.edgeproxy.yaml.YamlTree;
import dev.edgeproxy.yaml.YamlTree.Field;
import dev.edgeproxy.yaml.YamlTree.Node;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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
 * <p>The keys of each map are those of its record ({@link ConfigKeys}); {@link ConfigReader} reads
 * values and collects problems, one section class per part of the file reads it into its records.
 * Limits, access log, listeners and backend pools are bound with Jackson ({@link RecordBinder}):
 * each key's default and bounds are declared once, on its record component ({@link
 * ConfigSchema}); the sections then check what spans values. The allow-list section and routes
 * are still read by hand.
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

  private static EdgeProxyConfig root(ConfigReader r, Node rootNode) {
    M root =
        rootNode.isNull()
            ? new M(null, "", ConfigKeys.of(EdgeProxyConfig.class))
            : r.open(rootNode, "", EdgeProxyConfig.class);
    NodeConfig node =
        new NodeConfig(r.string(r.map(root, "node", NodeConfig.class), "name", defaultNodeName()));
    BackendsSection pools = new BackendsSection(r);
    Map<String, BackendPoolConfig> backends = pools.backends(root);
    ListenersConfig listeners = new ListenersSection(r).listeners(root);
    List<RouteConfig> routes = pools.routes(root);
    Optional<String> defaultBackend = Optional.empty();
    Val dflt = r.val(root, "defaultBackend");
    if (dflt != null && dflt.text() != null) {
      defaultBackend = Optional.of(dflt.text().strip());
      r.backendRefs.add(dflt);
    }
    AllowListConfig allowlist = new AllowListSection(r).allowlist(root);
    LimitsConfig limits = RecordBinder.bind(r, r.map(root, "limits", LimitsConfig.class), LimitsConfig.class);
    AccessLogConfig accessLog =
        RecordBinder.bind(r, r.map(root, "accessLog", AccessLogConfig.class), AccessLogConfig.class);

    for (Val ref : r.backendRefs) {
      if (!backends.containsKey(ref.text().strip())) {
        r.problem(
            ref.node(),
            ref.path(),
            "no backend named '"
                + ref.text().strip()
                + "'"
                + (backends.isEmpty() ? " (no backends are defined)" : " (defined: "
                    + String.join(", ", backends.keySet()) + ")"));
      }
    }
    if ((listeners.tls().isPresent() || listeners.http().isPresent()) && backends.isEmpty()) {
      Field l = root.field("listeners");
      r.problem(
          l == null ? 1 : l.line(),
          l == null ? 1 : l.column(),
          "backends: a tls or http listener needs at least one backend pool");
    }
    return new EdgeProxyConfig(
        node, listeners, backends, routes, defaultBackend, allowlist, limits, accessLog);
  }

  private static String defaultNodeName() {
    try {
      String name = InetAddress.getLocalHost().getHostName();
      return name == null || name.isBlank() ? "edge-proxy" : name;
    } catch (IOException e) {
      return "edge-proxy";
    }
  }}
