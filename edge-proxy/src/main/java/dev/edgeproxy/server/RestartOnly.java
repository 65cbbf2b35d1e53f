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
    check(parts, "node.name", before.node(), after.node());
    check(parts, "listeners.admin", before.listeners().admin(), after.listeners().admin());
    check(parts, "listeners.health", before.listeners().health(), after.listeners().health());
    check(parts, "limits", before.limits(), after.limits());
    check(parts, "accessLog", before.accessLog(), after.accessLog());
    check(parts, "allowlist.stateFile", before.allowlist().stateFile(), after.allowlist().stateFile());
    check(parts, "allowlist.file", before.allowlist().file(), after.allowlist().file());
    check(parts, "allowlist.git", before.allowlist().git(), after.allowlist().git());
    check(parts, "allowlist.route53", before.allowlist().route53(), after.allowlist().route53());
    return parts;
  }

  private static void check(List<String> parts, String name, Object before, Object after) {
    if (!Objects.equals(before, after)) {
      parts.add(name);
    }
  }
}
