package dev.edgeproxy.config;

import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.config.ConfigReader.Val;
import dev.edgeproxy.config.RecordBinder.Place;
import dev.edgeproxy.yaml.YamlTree.Field;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What binding cannot say, because it spans values: a host routed twice, pool names that must
 * exist, a token sent over cleartext, a tls or http listener without pools. Told each value as the
 * root is bound ({@link #seen}), then {@link #check}s the bound config.
 */
final class CrossChecks {
  private static final Pattern ROUTE_BACKEND = Pattern.compile("/routes/\\d+/backend");
  private final ConfigReader r;
  /** Each host routed so far, with the line it is written on. */
  private final Map<HostPattern, Integer> routed = new HashMap<>();
  private Place tokenEnv;

  CrossChecks(ConfigReader r) {
    this.r = r;
  }

  void seen(String pointer, Object value, Place where) {
    if (pointer.equals("/defaultBackend") || ROUTE_BACKEND.matcher(pointer).matches()) {
      r.backendRefs.add(new Val(value.toString(), where.node(), where.path()));
    } else if (value instanceof HostPattern host) {
      Integer first = routed.putIfAbsent(host, where.node().line());
      if (first != null) {
        r.problem(where.node(), where.path(), "'" + host + "' is already routed (line " + first + ")");
      }
    } else if (pointer.equals("/allowlist/file/path")) {
      r.allowListFileLine = where.node().line();
      r.allowListFileColumn = where.node().column();
    } else if (pointer.equals("/allowlist/git/tokenEnv")) {
      tokenEnv = where;
    }
  }

  void check(EdgeProxyConfig config, M root) {
    Map<String, BackendPoolConfig> backends = config.backends();
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
    ListenersConfig listeners = config.listeners();
    if ((listeners.tls().isPresent() || listeners.http().isPresent()) && backends.isEmpty()) {
      Field l = root.field("listeners");
      r.problem(
          l == null ? 1 : l.line(),
          l == null ? 1 : l.column(),
          "backends: a tls or http listener needs at least one backend pool");
    }
    config.allowlist().git().ifPresent(git -> {
      if (git.tokenEnv().isPresent() && cleartextToAnotherHost(git.url())) {
        r.problem(
            tokenEnv.node(),
            tokenEnv.path(),
            "a token over cleartext http:// could be read on the way; use an https:// URL"
                + " (only a loopback host may take a token over http://)");
      }
    });
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
}
