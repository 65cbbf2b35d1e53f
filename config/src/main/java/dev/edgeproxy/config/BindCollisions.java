package dev.edgeproxy.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Which listening addresses cannot both be bound, by the rules the listeners follow (as nginx's):
 * {@code 0.0.0.0} is IPv4 only and {@code [::]} is IPv6 only. So the same address twice collides,
 * and so does a wildcard with a specific address of its own family on one port; the two wildcards
 * of one port, or addresses of different families, do not. Names are not resolved here: a name
 * collides only with the same name.
 */
final class BindCollisions {
  private BindCollisions() {}

  /** Why {@code a} and {@code b} cannot both listen, or empty when they can. */
  static Optional<String> between(BindAddress a, BindAddress b) {
    if (a.port() != b.port()) {
      return Optional.empty();
    }
    InetAddress ia = literal(a.host());
    InetAddress ib = literal(b.host());
    if (ia == null || ib == null) {
      return a.host().equalsIgnoreCase(b.host())
          ? Optional.of("the same address is bound twice")
          : Optional.empty();
    }
    if (ia.equals(ib)) {
      return Optional.of("the same address is bound twice");
    }
    if (ia.getClass() == ib.getClass() && (ia.isAnyLocalAddress() || ib.isAnyLocalAddress())) {
      return Optional.of(
          "a wildcard and a specific address of the same family cannot both listen on one port"
              + " (the wildcard already covers it)");
    }
    return Optional.empty();
  }

  /** The address of an IP literal (never looked up), or null for a name. */
  private static InetAddress literal(String host) {
    if (!host.contains(":") && !host.matches("[0-9.]+")) {
      return null;
    }
    try {
      return InetAddress.getByName(host);
    } catch (UnknownHostException e) {
      return null;
    }
  }
}
