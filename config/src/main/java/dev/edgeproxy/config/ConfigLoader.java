package dev.edgeproxy.config;

import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.InvalidHostNameException;
import dev.edgeproxy.config.AllowListConfig.FileSourceConfig;
import dev.edgeproxy.config.AllowListConfig.GitSourceConfig;
import dev.edgeproxy.config.AllowListConfig.Route53SourceConfig;
import dev.edgeproxy.config.BackendPoolConfig.Balance;
import dev.edgeproxy.config.BackendPoolConfig.HealthCheckConfig;
import dev.edgeproxy.config.BackendPoolConfig.ProxyProtocolVersion;
import dev.edgeproxy.config.BackendPoolConfig.ProxyTlv;
import dev.edgeproxy.config.HttpListenerConfig.HttpMode;
import dev.edgeproxy.yaml.YamlTree;
import dev.edgeproxy.yaml.YamlTree.Field;
import dev.edgeproxy.yaml.YamlTree.Node;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * Every problem is collected, not only the first, and reported as {@code FILE:LINE:COLUMN: key.path:
 * message}.
 */
public final class ConfigLoader {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|KB|MB|GB|k|K)?");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private static final Set<String> TOP =
      Set.of(
          "node", "listeners", "backends", "routes", "defaultBackend", "allowlist", "limits",
          "accessLog");
  private static final Set<String> NODE = Set.of("name");
  private static final Set<String> LISTENERS = Set.of("tls", "http", "admin", "health");
  private static final Set<String> TLS =
      Set.of(
          "bind", "acceptProxyProtocol", "proxyProtocolFrom", "clientHelloTimeout",
          "maxClientHelloBytes", "noSni");
  private static final Set<String> HTTP = Set.of("bind", "mode", "maxHeaderBytes", "headerTimeout");
  private static final Set<String> ADMIN = Set.of("bind", "allowFrom", "syncToken", "maxConnections");
  private static final Set<String> HEALTH_LISTENER = Set.of("bind", "allowFrom");
  private static final Set<String> POOL =
      Set.of(
          "tls", "http", "proxyProtocol", "proxyProtocolTlvs", "balance", "connectTimeout",
          "healthCheck");
  private static final Set<String> HEALTH =
      Set.of("interval", "timeout", "unhealthyAfter", "healthyAfter");
  private static final Set<String> ROUTE = Set.of("hosts", "backend");
  private static final Set<String> ALLOWLIST =
      Set.of(
          "stateFile", "maxShrink", "enforce", "closeRevokedAfter", "file", "git", "route53",
          "sourceTimeout", "readinessTimeout");
  private static final Set<String> FILE = Set.of("path");
  private static final Set<String> GIT =
      Set.of(
          "url", "branch", "file", "sshKeyFile", "tokenEnv", "interval", "cron",
          "webhookSecretEnv", "knownHostsFile", "cacheDir", "timeout");
  private static final Set<String> ROUTE53 =
      Set.of("hostedZones", "pointingAt", "interval", "cron", "region", "endpoint", "timeout");
  private static final Set<String> LIMITS =
      Set.of(
          "maxConnections", "maxConnectionsPerIp", "idleTimeout", "drainTimeout",
          "ipv6PrefixLength", "memoryBudget", "halfClosedTimeout");
  private static final Set<String> ACCESS_LOG = Set.of("format", "path");

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
    Ctx ctx = new Ctx(label, env, baseDir);
    EdgeProxyConfig config = ctx.root(root);
    if (!ctx.problems.isEmpty()) {
      List<ConfigProblem> sorted = new ArrayList<>(ctx.problems);
      sorted.sort(Comparator.comparingInt(ConfigProblem::line).thenComparingInt(ConfigProblem::column));
      throw new ConfigException(sorted);
    }
    return new Located(config, ctx.allowListFileLine, ctx.allowListFileColumn);
  }

  /** Parses a duration such as {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}, {@code 1d}. */
  static Optional<Duration> parseDuration(String text) {
    String s = text.strip();
    if (s.equals("0")) {
      return Optional.of(Duration.ZERO);
    }
    Matcher m = DURATION.matcher(s);
    if (!m.matches()) {
      return Optional.empty();
    }
    long n;
    try {
      n = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    try {
      switch (m.group(2)) {
        case "ms":
          return Optional.of(Duration.ofMillis(n));
        case "s":
          return Optional.of(Duration.ofSeconds(n));
        case "m":
          return Optional.of(Duration.ofMinutes(n));
        case "h":
          return Optional.of(Duration.ofHours(n));
        default:
          return Optional.of(Duration.ofDays(n));
      }
    } catch (ArithmeticException e) {
      return Optional.empty();
    }
  }

  /** Parses a size in bytes: {@code 16384}, {@code 16KiB}, {@code 1MiB}; empty when invalid. */
  static Optional<Long> parseSize(String text) {
    Matcher m = SIZE.matcher(text.strip());
    if (!m.matches()) {
      return Optional.empty();
    }
    long unit;
    String u = m.group(2) == null ? "B" : m.group(2);
    switch (u) {
      case "KiB":
      case "k":
      case "K":
        unit = 1024;
        break;
      case "MiB":
        unit = 1024L * 1024;
        break;
      case "GiB":
        unit = 1024L * 1024 * 1024;
        break;
      case "KB":
        unit = 1000;
        break;
      case "MB":
        unit = 1000L * 1000;
        break;
      case "GB":
        unit = 1000L * 1000 * 1000;
        break;
      default:
        unit = 1;
    }
    try {
      return Optional.of(Math.multiplyExact(Long.parseLong(m.group(1)), unit));
    } catch (ArithmeticException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Parses {@code 50%} or a fraction {@code 0.5} into a fraction; empty when not a number. */
  static Optional<Double> parseShare(String text) {
    String s = text.strip();
    try {
      if (s.endsWith("%")) {
        return Optional.of(Double.parseDouble(s.substring(0, s.length() - 1).strip()) / 100.0);
      }
      return Optional.of(Double.parseDouble(s));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** A scalar value after {@code ${VAR}} substitution, with where it stands. */
  private record Val(String text, Node node, String path) {}

  private record Schedule(Optional<Duration> interval, Optional<String> cron) {}

  /** A map being read: unknown keys were reported when it was opened. */
  private record M(Node node, String path) {
    Field field(String key) {
      return node == null ? null : node.fields().get(key);
    }

    String at(String key) {
      return path.isEmpty() ? key : path + "." + key;
    }

    boolean present() {
      return node != null;
    }
  }

  /** Reading state: the collected problems. Each getter reports and falls back to the default. */
  private static final class Ctx {
    final String file;
    final Map<String, String> env;
    final Path baseDir;
    final List<ConfigProblem> problems = new ArrayList<>();
    int allowListFileLine = 1;
    int allowListFileColumn = 1;
    /** Pool references to check once all pools are known: name -> where it was used. */
    final List<Val> backendRefs = new ArrayList<>();

    Ctx(String file, Map<String, String> env, Path baseDir) {
      this.file = file;
      this.env = env;
      this.baseDir = baseDir;
    }

    void problem(int line, int column, String message) {
      problems.add(new ConfigProblem(file, line, column, message));
    }

    void problem(Node node, String path, String message) {
      problem(node.line(), node.column(), path + ": " + message);
    }

    // ---- structure ------------------------------------------------------------------------

    /** Opens the map under {@code key}; absent or null gives an empty map. */
    M map(M parent, String key, Set<String> keys) {
      Field f = parent.field(key);
      if (f == null || f.value().isNull()) {
        return new M(null, parent.at(key));
      }
      return open(f.value(), parent.at(key), keys);
    }

    M open(Node node, String path, Set<String> keys) {
      if (!node.isMap()) {
        problem(node, path, "expected a map, got " + node.describe());
        return new M(null, path);
      }
      for (Field f : node.fields().values()) {
        if (!keys.contains(f.key())) {
          String where = path.isEmpty() ? f.key() : path + "." + f.key();
          problem(f.line(), f.column(), where + ": unknown key" + suggestion(f.key(), keys));
        }
      }
      return new M(node, path);
    }

    private static String suggestion(String key, Set<String> keys) {
      String best = null;
      int bestDistance = 3;
      for (String k : keys) {
        int d = distance(key.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
        if (d < bestDistance) {
          bestDistance = d;
          best = k;
        }
      }
      List<String> sorted = new ArrayList<>(keys);
      sorted.sort(null);
      return best != null
          ? " (did you mean '" + best + "'?)"
          : " (expected one of " + String.join(", ", sorted) + ")";
    }

    private static int distance(String a, String b) {
      int[] prev = new int[b.length() + 1];
      int[] cur = new int[b.length() + 1];
      for (int j = 0; j <= b.length(); j++) {
        prev[j] = j;
      }
      for (int i = 1; i <= a.length(); i++) {
        cur[0] = i;
        for (int j = 1; j <= b.length(); j++) {
          int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
          cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
        }
        int[] t = prev;
        prev = cur;
        cur = t;
      }
      return prev[b.length()];
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
      String s = n.text();
      if (s.indexOf('$') < 0) {
        return s;
      }
      StringBuilder out = new StringBuilder(s.length());
      int i = 0;
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == '$' && s.startsWith("$${", i)) {
          out.append("${");
          i += 3;
        } else if (c == '$' && s.startsWith("${", i)) {
          int end = s.indexOf('}', i + 2);
          if (end < 0) {
            problem(n, path, "unclosed '${' in '" + s + "'");
            return null;
          }
          String expr = s.substring(i + 2, end);
          String name = expr;
          String fallback = null;
          int dflt = expr.indexOf(":-");
          if (dflt >= 0) {
            name = expr.substring(0, dflt);
            fallback = expr.substring(dflt + 2);
          }
          if (!ENV_NAME.matcher(name).matches()) {
            problem(n, path, "invalid environment variable name '" + name + "'");
            return null;
          }
          String value = env.get(name);
          if (value == null) {
            if (fallback == null) {
              problem(n, path, "environment variable " + name + " is not set");
              return null;
            }
            value = fallback;
          }
          out.append(value);
          i = end + 1;
        } else {
          out.append(c);
          i++;
        }
      }
      return out.toString();
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

    Optional<String> optString(M m, String key) {
      return Optional.ofNullable(string(m, key, null));
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
      Optional<Duration> d = parseDuration(v.text);
      if (d.isEmpty()) {
        problem(v.node, v.path, "invalid duration '" + v.text + "' (use 500ms, 10s, 5m, 1h)");
        return dflt;
      }
      return d.get();
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

    int integer(M m, String key, int dflt, int min, int max) {
      Val v = val(m, key);
      if (v == null || v.text == null) {
        return dflt;
      }
      long n;
      try {
        n = Long.parseLong(v.text.strip());
      } catch (NumberFormatException e) {
        problem(v.node, v.path, "expected a whole number, got '" + v.text + "'");
        return dflt;
      }
      if (n < min || n > max) {
        problem(v.node, v.path, n + " is not in " + min + ".." + max);
        return dflt;
      }
      return (int) n;
    }

    int size(M m, String key, int dflt, int min, int max) {
      Val v = val(m, key);
      if (v == null || v.text == null) {
        return dflt;
      }
      Optional<Long> n = parseSize(v.text);
      if (n.isEmpty()) {
        problem(v.node, v.path, "invalid size '" + v.text + "' (use 16384, 16KiB, 1MiB)");
        return dflt;
      }
      if (n.get() < min || n.get() > max) {
        problem(v.node, v.path, v.text + " is not in " + min + ".." + max + " bytes");
        return dflt;
      }
      return (int) (long) n.get();
    }

    <E extends Enum<E>> E enumValue(M m, String key, Class<E> type, E dflt) {
      Val v = val(m, key);
      if (v == null || v.text == null) {
        return dflt;
      }
      String name = v.text.strip().toUpperCase(Locale.ROOT).replace('-', '_');
      for (E e : type.getEnumConstants()) {
        if (e.name().equals(name)) {
          return e;
        }
      }
      List<String> names = new ArrayList<>();
      for (E e : type.getEnumConstants()) {
        names.add(e.name().toLowerCase(Locale.ROOT).replace('_', '-'));
      }
      problem(v.node, v.path, "invalid value '" + v.text + "' (use " + String.join(" | ", names) + ")");
      return dflt;
    }

    Optional<Path> path(M m, String key) {
      Val v = val(m, key);
      if (v == null || v.text == null) {
        return Optional.empty();
      }
      return toPath(v);
    }

    Optional<Path> toPath(Val v) {
      if (v.text.isBlank()) {
        problem(v.node, v.path, "must not be empty");
        return Optional.empty();
      }
      try {
        Path p = Path.of(v.text.strip());
        return Optional.of(baseDir != null && !p.isAbsolute() ? baseDir.resolve(p) : p);
      } catch (InvalidPathException e) {
        problem(v.node, v.path, "invalid path '" + v.text + "'");
        return Optional.empty();
      }
    }

    /** Items under key parsed by parser (whose IllegalArgumentException message is reported). */
    <T> List<T> parsedList(M m, String key, List<T> dflt, Function<String, T> parser) {
      return parsedList(m, key, dflt, parser, (item, where) -> {});
    }

    /** As above, telling {@code parsed} each item with where it was written. */
    <T> List<T> parsedList(
        M m, String key, List<T> dflt, Function<String, T> parser, BiConsumer<T, Val> parsed) {
      List<Val> vals = vals(m, key);
      if (vals == null) {
        return dflt;
      }
      if (vals.isEmpty() && m.field(key).value().isList() && dflt != null) {
        problem(m.field(key).value(), m.at(key), "needs at least one value");
      }
      List<T> out = new ArrayList<>();
      for (Val v : vals) {
        try {
          T item = parser.apply(v.text);
          out.add(item);
          parsed.accept(item, v);
        } catch (IllegalArgumentException e) {
          problem(v.node, v.path, e.getMessage());
        }
      }
      return out;
    }

    List<BindAddress> binds(M m, List<BindAddress> dflt) {
      return parsedList(m, "bind", dflt, BindAddress::parse, this::checkCollisions);
    }

    /** Every listening address written so far (all listeners share the host's ports). */
    private final List<Map.Entry<BindAddress, Val>> writtenBinds = new ArrayList<>();

    private void checkCollisions(BindAddress bind, Val where) {
      for (Map.Entry<BindAddress, Val> earlier : writtenBinds) {
        Optional<String> why = BindCollisions.between(earlier.getKey(), bind);
        if (why.isPresent()) {
          problem(
              where.node,
              where.path,
              bind
                  + " collides with "
                  + earlier.getKey()
                  + " ("
                  + earlier.getValue().path
                  + " at line "
                  + earlier.getValue().node.line()
                  + "): "
                  + why.get());
          break; // one problem per address is enough to fix it
        }
      }
      writtenBinds.add(Map.entry(bind, where));
    }

    // ---- sections -------------------------------------------------------------------------

    EdgeProxyConfig root(Node rootNode) {
      M root;
      if (rootNode.isNull()) {
        root = new M(null, "");
      } else {
        root = open(rootNode, "", TOP);
        if (!root.present()) {
          root = new M(null, "");
        }
      }
      NodeConfig node = new NodeConfig(string(map(root, "node", NODE), "name", defaultNodeName()));
      Map<String, BackendPoolConfig> backends = backends(root);
      ListenersConfig listeners = listeners(root);
      List<RouteConfig> routes = routes(root);
      Optional<String> defaultBackend = Optional.empty();
      Val dflt = val(root, "defaultBackend");
      if (dflt != null && dflt.text != null) {
        defaultBackend = Optional.of(dflt.text.strip());
        backendRefs.add(dflt);
      }
      AllowListConfig allowlist = allowlist(root);
      LimitsConfig limits = limits(root);
      AccessLogConfig accessLog = accessLog(root);

      for (Val ref : backendRefs) {
        if (!backends.containsKey(ref.text.strip())) {
          problem(
              ref.node,
              ref.path,
              "no backend named '"
                  + ref.text.strip()
                  + "'"
                  + (backends.isEmpty() ? " (no backends are defined)" : " (defined: "
                      + String.join(", ", backends.keySet()) + ")"));
        }
      }
      if ((listeners.tls().isPresent() || listeners.http().isPresent()) && backends.isEmpty()) {
        Field l = root.field("listeners");
        problem(
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
    }

    ListenersConfig listeners(M root) {
      M l = map(root, "listeners", LISTENERS);
      Optional<TlsListenerConfig> tls = Optional.empty();
      M t = map(l, "tls", TLS);
      if (t.present()) {
        Optional<String> noSni = Optional.empty();
        Val v = val(t, "noSni");
        if (v != null && v.text != null && !v.text.strip().equals("refuse")) {
          if (v.text.isBlank()) {
            problem(v.node, v.path, "must not be empty (refuse or a backend name)");
          } else {
            noSni = Optional.of(v.text.strip());
            backendRefs.add(v);
          }
        }
        boolean acceptProxy = bool(t, "acceptProxyProtocol", false);
        List<Cidr> proxyFrom = proxyProtocolFrom(t, acceptProxy);
        tls =
            Optional.of(
                new TlsListenerConfig(
                    binds(t, TlsListenerConfig.DEFAULT_BINDS),
                    acceptProxy && !proxyFrom.isEmpty(),
                    proxyFrom,
                    positiveDuration(
                        t, "clientHelloTimeout", TlsListenerConfig.DEFAULT_CLIENT_HELLO_TIMEOUT),
                    size(
                        t,
                        "maxClientHelloBytes",
                        TlsListenerConfig.DEFAULT_MAX_CLIENT_HELLO_BYTES,
                        512,
                        1 << 20),
                    noSni));
      }
      Optional<HttpListenerConfig> http = Optional.empty();
      M h = map(l, "http", HTTP);
      if (h.present()) {
        http =
            Optional.of(
                new HttpListenerConfig(
                    binds(h, HttpListenerConfig.DEFAULT_BINDS),
                    enumValue(h, "mode", HttpMode.class, HttpMode.FORWARD),
                    size(
                        h,
                        "maxHeaderBytes",
                        HttpListenerConfig.DEFAULT_MAX_HEADER_BYTES,
                        1024,
                        1 << 20),
                    positiveDuration(h, "headerTimeout", HttpListenerConfig.DEFAULT_HEADER_TIMEOUT)));
      }
      M a = map(l, "admin", ADMIN);
      AdminListenerConfig admin = AdminListenerConfig.defaults();
      if (a.present()) {
        Optional<String> token = Optional.empty();
        Val v = val(a, "syncToken");
        if (v != null && v.text != null) {
          if (v.text.isBlank()) {
            problem(v.node, v.path, "must not be empty (omit it to disable POST /sync)");
          } else {
            token = Optional.of(v.text.strip());
          }
        }
        admin =
            new AdminListenerConfig(
                binds(a, AdminListenerConfig.DEFAULT_BINDS),
                parsedList(a, "allowFrom", Cidr.loopback(), Cidr::parse),
                token,
                integer(
                    a,
                    "maxConnections",
                    AdminListenerConfig.DEFAULT_MAX_CONNECTIONS,
                    1,
                    AdminListenerConfig.MAX_MAX_CONNECTIONS));
      }
      M hl = map(l, "health", HEALTH_LISTENER);
      Optional<HealthListenerConfig> health =
          hl.present()
              ? Optional.of(
                  new HealthListenerConfig(
                      binds(hl, HealthListenerConfig.DEFAULT_BINDS),
                      parsedList(hl, "allowFrom", HealthListenerConfig.EVERYONE, Cidr::parse)))
              : Optional.empty();
      return new ListenersConfig(tls, http, admin, health);
    }

    /**
     * {@code proxyProtocolFrom}: whose PROXY header to believe. Required with {@code
     * acceptProxyProtocol: true}, so that trusting every peer is a choice written out.
     */
    List<Cidr> proxyProtocolFrom(M listener, boolean acceptProxyProtocol) {
      List<Cidr> from = parsedList(listener, "proxyProtocolFrom", List.of(), Cidr::parse);
      if (acceptProxyProtocol && from.isEmpty() && listener.field("proxyProtocolFrom") == null) {
        Field f = listener.field("acceptProxyProtocol");
        problem(
            f.value(),
            listener.at("acceptProxyProtocol"),
            "needs proxyProtocolFrom: the load balancers' networks whose PROXY header is believed"
                + " (to trust every peer, write [\"0.0.0.0/0\", \"::/0\"])");
      }
      return from;
    }

    Map<String, BackendPoolConfig> backends(M root) {
      Map<String, BackendPoolConfig> out = new LinkedHashMap<>();
      Field f = root.field("backends");
      if (f == null || f.value().isNull()) {
        return out;
      }
      if (!f.value().isMap()) {
        problem(f.value(), "backends", "expected a map of pool name to pool, got " + f.value().describe());
        return out;
      }
      for (Field pool : f.value().fields().values()) {
        String name = pool.key();
        String path = "backends." + name;
        if (name.isBlank()) {
          problem(pool.line(), pool.column(), "backends: a pool name must not be empty");
          continue;
        }
        if (pool.value().isNull()) {
          problem(pool.line(), pool.column(), path + ": needs at least one tls or http endpoint");
          continue;
        }
        M p = open(pool.value(), path, POOL);
        if (!p.present()) {
          continue;
        }
        List<Endpoint> tls = parsedList(p, "tls", null, Endpoint::parse);
        List<Endpoint> http = parsedList(p, "http", null, Endpoint::parse);
        tls = tls == null ? List.of() : tls;
        http = http == null ? List.of() : http;
        if (tls.isEmpty() && http.isEmpty() && problemsAt(p) == 0) {
          problem(pool.line(), pool.column(), path + ": needs at least one tls or http endpoint");
        }
        Set<ProxyTlv> tlvs = BackendPoolConfig.DEFAULT_TLVS;
        List<Val> tlvVals = vals(p, "proxyProtocolTlvs");
        if (tlvVals != null) {
          EnumSet<ProxyTlv> set = EnumSet.noneOf(ProxyTlv.class);
          for (Val v : tlvVals) {
            ProxyTlv tlv = null;
            for (ProxyTlv t : ProxyTlv.values()) {
              if (t.configName().equalsIgnoreCase(v.text.strip())) {
                tlv = t;
              }
            }
            if (tlv == null) {
              problem(v.node, v.path, "unknown TLV '" + v.text + "' (use authority, unique-id)");
            } else {
              set.add(tlv);
            }
          }
          tlvs = set;
        }
        M hc = map(p, "healthCheck", HEALTH);
        HealthCheckConfig d = HealthCheckConfig.DEFAULT;
        HealthCheckConfig health =
            new HealthCheckConfig(
                positiveDuration(hc, "interval", d.interval()),
                positiveDuration(hc, "timeout", d.timeout()),
                integer(hc, "unhealthyAfter", d.unhealthyAfter(), 1, 1000),
                integer(hc, "healthyAfter", d.healthyAfter(), 1, 1000));
        out.put(
            name,
            new BackendPoolConfig(
                name,
                tls,
                http,
                enumValue(p, "proxyProtocol", ProxyProtocolVersion.class, ProxyProtocolVersion.V2),
                tlvs,
                enumValue(p, "balance", Balance.class, Balance.ROUND_ROBIN),
                positiveDuration(p, "connectTimeout", BackendPoolConfig.DEFAULT_CONNECT_TIMEOUT),
                health));
      }
      return out;
    }

    /** Problems already reported inside map {@code m} (to avoid piling a second one on). */
    private int problemsAt(M m) {
      int n = 0;
      for (ConfigProblem p : problems) {
        if (p.message().startsWith(m.path + ".")) {
          n++;
        }
      }
      return n;
    }

    List<RouteConfig> routes(M root) {
      List<RouteConfig> out = new ArrayList<>();
      Field f = root.field("routes");
      if (f == null || f.value().isNull()) {
        return out;
      }
      if (!f.value().isList()) {
        problem(f.value(), "routes", "expected a list of {hosts, backend}, got " + f.value().describe());
        return out;
      }
      Map<HostPattern, Integer> routed = new HashMap<>();
      List<Node> items = f.value().items();
      for (int i = 0; i < items.size(); i++) {
        String path = "routes[" + i + "]";
        M r = open(items.get(i), path, ROUTE);
        if (!r.present()) {
          continue;
        }
        List<HostPattern> hosts = new ArrayList<>();
        List<Val> vals = vals(r, "hosts");
        if (vals == null) {
          missing(r, "hosts");
        } else if (vals.isEmpty() && r.field("hosts").value().isList()) {
          problem(r.field("hosts").value(), r.at("hosts"), "needs at least one host");
        } else {
          for (Val v : vals) {
            try {
              HostPattern p = HostPattern.parse(v.text);
              Integer first = routed.putIfAbsent(p, v.node.line());
              if (first != null) {
                problem(v.node, v.path, "'" + p + "' is already routed (line " + first + ")");
              } else {
                hosts.add(p);
              }
            } catch (InvalidHostNameException e) {
              problem(v.node, v.path, e.getMessage());
            }
          }
        }
        Val backend = val(r, "backend");
        if (backend == null) {
          missing(r, "backend");
        } else if (backend.text != null) {
          backendRefs.add(backend);
          if (!hosts.isEmpty()) {
            out.add(new RouteConfig(hosts, backend.text.strip()));
          }
        }
      }
      return out;
    }

    AllowListConfig allowlist(M root) {
      M a = map(root, "allowlist", ALLOWLIST);
      double maxShrink = AllowListConfig.DEFAULT_MAX_SHRINK;
      Val ms = val(a, "maxShrink");
      if (ms != null && ms.text != null) {
        Optional<Double> share = parseShare(ms.text);
        if (share.isEmpty()) {
          problem(ms.node, ms.path, "invalid share '" + ms.text + "' (use 50% or 0.5)");
        } else if (!(share.get() >= 0 && share.get() <= 1)) {
          problem(ms.node, ms.path, "'" + ms.text + "' is not in 0..100% (use 50% or 0.5)");
        } else {
          maxShrink = share.get();
        }
      }
      Optional<Duration> closeRevokedAfter = Optional.empty();
      Val cra = val(a, "closeRevokedAfter");
      if (cra != null && cra.text != null && !cra.text.strip().equals("never")) {
        Optional<Duration> d = parseDuration(cra.text);
        if (d.isEmpty()) {
          problem(cra.node, cra.path, "invalid duration '" + cra.text + "' (use never, 500ms, 10s, 5m, 1h)");
        } else {
          closeRevokedAfter = d;
        }
      }
      Optional<FileSourceConfig> file = Optional.empty();
      M fm = map(a, "file", FILE);
      if (fm.present()) {
        Val pv = val(fm, "path");
        if (pv == null) {
          missing(fm, "path");
        } else if (pv.text != null) {
          allowListFileLine = pv.node.line();
          allowListFileColumn = pv.node.column();
          file = toPath(pv).map(FileSourceConfig::new);
        }
      }
      return new AllowListConfig(
          path(a, "stateFile"),
          maxShrink,
          bool(a, "enforce", true),
          closeRevokedAfter,
          file,
          git(a),
          route53(a),
          positiveDuration(a, "sourceTimeout", AllowListConfig.DEFAULT_SOURCE_TIMEOUT),
          positiveDuration(a, "readinessTimeout", AllowListConfig.DEFAULT_READINESS_TIMEOUT));
    }

    /** interval/cron pair: exactly one present; interval 5m when neither is written. */
    private Schedule schedule(M m) {
      Optional<String> cron = Optional.empty();
      Val c = val(m, "cron");
      if (c != null && c.text != null) {
        String[] fields = c.text.strip().split("\\s+");
        if (fields.length < 6 || fields.length > 7) {
          problem(
              c.node,
              c.path,
              "cron '" + c.text + "' has " + fields.length
                  + " fields; Quartz needs 6 or 7 (sec min hour day month weekday [year])");
        } else {
          // Quartz's own parser, so that validate refuses what run would refuse
          Optional<String> refused = CronCheck.problem(c.text.strip());
          if (refused.isPresent()) {
            problem(c.node, c.path, "cron '" + c.text.strip() + "': " + refused.get());
          } else {
            cron = Optional.of(c.text.strip());
          }
        }
      }
      Val i = val(m, "interval");
      Optional<Duration> interval = Optional.empty();
      if (i != null && i.text != null) {
        Duration d = duration(i, null);
        if (d != null && d.isZero()) {
          problem(i.node, i.path, "must be more than 0");
        } else if (d != null) {
          interval = Optional.of(d);
        }
        if (c != null) {
          problem(i.node, i.path, "set either interval or cron, not both");
        }
      }
      if (cron.isEmpty() && interval.isEmpty()) {
        interval = Optional.of(AllowListConfig.DEFAULT_SOURCE_INTERVAL);
      }
      if (cron.isPresent() && interval.isPresent()) {
        interval = Optional.empty();
      }
      return new Schedule(interval, cron);
    }

    Optional<GitSourceConfig> git(M a) {
      M g = map(a, "git", GIT);
      if (!g.present()) {
        return Optional.empty();
      }
      String url = required(g, "url");
      Schedule schedule = schedule(g);
      Optional<String> tokenEnv = envName(g, "tokenEnv");
      if (tokenEnv.isPresent() && url != null && cleartextToAnotherHost(url)) {
        Val t = val(g, "tokenEnv");
        problem(
            t.node,
            t.path,
            "a token over cleartext http:// could be read on the way; use an https:// URL"
                + " (only a loopback host may take a token over http://)");
      }
      Optional<String> secretEnv = envName(g, "webhookSecretEnv");
      String file = string(g, "file", GitSourceConfig.DEFAULT_FILE);
      return Optional.of(
          new GitSourceConfig(
              url == null ? "" : url,
              string(g, "branch", GitSourceConfig.DEFAULT_BRANCH),
              file,
              path(g, "sshKeyFile"),
              tokenEnv,
              schedule.interval(),
              schedule.cron(),
              secretEnv,
              path(g, "knownHostsFile"),
              path(g, "cacheDir"),
              positiveDuration(g, "timeout", GitSourceConfig.DEFAULT_TIMEOUT)));
    }

    /** An http:// URL to a host other than localhost, 127.0.0.0/8 or ::1. */
    private static boolean cleartextToAnotherHost(String url) {
      String text = url.strip();
      if (!text.regionMatches(true, 0, "http://", 0, 7)) {
        return false;
      }
      try {
        String host = new URI(text).getHost();
        return host == null
            || !(host.equalsIgnoreCase("localhost")
                || host.startsWith("127.")
                || host.equals("[::1]"));
      } catch (URISyntaxException e) {
        return true;
      }
    }

    private Optional<String> envName(M m, String key) {
      Val v = val(m, key);
      if (v == null || v.text == null) {
        return Optional.empty();
      }
      if (!ENV_NAME.matcher(v.text.strip()).matches()) {
        problem(
            v.node,
            v.path,
            "'" + v.text + "' is not an environment variable name (give the name, not the secret)");
        return Optional.empty();
      }
      return Optional.of(v.text.strip());
    }

    Optional<Route53SourceConfig> route53(M a) {
      M r = map(a, "route53", ROUTE53);
      if (!r.present()) {
        return Optional.empty();
      }
      List<String> zones = nonEmptyStrings(r, "hostedZones");
      List<String> pointing = nonEmptyStrings(r, "pointingAt");
      Schedule schedule = schedule(r);
      Optional<URI> endpoint = Optional.empty();
      Val e = val(r, "endpoint");
      if (e != null && e.text != null) {
        try {
          URI uri = new URI(e.text.strip());
          if (uri.getScheme() == null
              || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
              || uri.getHost() == null) {
            problem(e.node, e.path, "expected an http(s) URL, got '" + e.text + "'");
          } else {
            endpoint = Optional.of(uri);
          }
        } catch (URISyntaxException ex) {
          problem(e.node, e.path, "invalid URL '" + e.text + "'");
        }
      }
      return Optional.of(
          new Route53SourceConfig(
              zones,
              pointing,
              schedule.interval(),
              schedule.cron(),
              string(r, "region", Route53SourceConfig.DEFAULT_REGION),
              endpoint,
              positiveDuration(r, "timeout", Route53SourceConfig.DEFAULT_TIMEOUT)));
    }

    private List<String> nonEmptyStrings(M m, String key) {
      List<Val> vals = vals(m, key);
      if (vals == null) {
        missing(m, key);
        return List.of();
      }
      List<String> out = new ArrayList<>();
      for (Val v : vals) {
        if (v.text.isBlank()) {
          problem(v.node, v.path, "must not be empty");
        } else {
          out.add(v.text.strip());
        }
      }
      if (out.isEmpty() && m.field(key).value().isList()) {
        problem(m.field(key).value(), m.at(key), "needs at least one value");
      }
      return out;
    }

    LimitsConfig limits(M root) {
      M l = map(root, "limits", LIMITS);
      LimitsConfig d = LimitsConfig.DEFAULT;
      return new LimitsConfig(
          integer(l, "maxConnections", d.maxConnections(), 1, Integer.MAX_VALUE),
          integer(l, "maxConnectionsPerIp", d.maxConnectionsPerIp(), 1, Integer.MAX_VALUE),
          positiveDuration(l, "idleTimeout", d.idleTimeout()),
          duration(l, "drainTimeout", d.drainTimeout()),
          integer(
              l,
              "ipv6PrefixLength",
              d.ipv6PrefixLength(),
              LimitsConfig.MIN_IPV6_PREFIX_LENGTH,
              128),
          // 0 derives the budget from the direct-memory cap; explicit budgets start at 1 MiB
          val(l, "memoryBudget") == null ? 0 : size(l, "memoryBudget", 0, 1 << 20, Integer.MAX_VALUE),
          positiveDuration(l, "halfClosedTimeout", d.halfClosedTimeout()));
    }

    AccessLogConfig accessLog(M root) {
      M a = map(root, "accessLog", ACCESS_LOG);
      return new AccessLogConfig(
          enumValue(a, "format", AccessLogConfig.Format.class, AccessLogConfig.Format.JSON),
          path(a, "path"));
    }
  }
}
