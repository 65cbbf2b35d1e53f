package dev.edgeproxy.server;

import dev.edgeproxy.config.EdgeProxyConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The parts of a configuration that a reload cannot change in a running process. */
final class RestartOnly {
  private RestartOnly() {}

  static List<String> changed(EdgeProxyConfig before, EdgeProxyConfig after) {
    List<String> parts = new ArrayList<>();
    check(parts, "node.name", before.node().name(), after.node().name());
    // the warm-up runs once, at start
    check(parts, "node.warmUpConnections", before.node().warmUpConnections(), after.node().warmUpConnections());
    check(parts, "listeners.admin", before.listeners().admin(), after.listeners().admin());
    check(parts, "listeners.health", before.listeners().health(), after.listeners().health());
    check(parts, "limits", before.limits(), after.limits());
    check(parts, "accessLog", before.accessLog(), after.accessLog());
    check(parts, "allowlist.stateFile", before.allowlist().stateFile(), after.allowlist().stateFile());
    // the sources themselves (file, git, route53) are rebuilt on reload; their deadline is not
    check(
        parts,
        "allowlist.sourceTimeout",
        before.allowlist().sourceTimeout(),
        after.allowlist().sourceTimeout());
    return parts;
  }

  private static void check(List<String> parts, String name, Object before, Object after) {
    if (!Objects.equals(before, after)) {
      parts.add(name);
    }
  }
}
