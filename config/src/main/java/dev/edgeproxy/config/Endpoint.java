package dev.edgeproxy.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A backend endpoint as written in the config: an IP literal or a name (Tailscale MagicDNS, DNS)
 * and a port. Names are resolved when connecting, so a changed address is picked up.
 */
public record Endpoint(String host, int port) {
  public Endpoint {
    Objects.requireNonNull(host, "host");
    HostPort.checkHost(host);
    HostPort.checkPort(port);
  }

  /**
   * Parses {@code host:port} or {@code [v6]:port}.
   *
   * @throws IllegalArgumentException when malformed or the port is not in 1..65535
   */
  public static Endpoint parse(String text) {
    HostPort hp = HostPort.parse(text);
    return new Endpoint(hp.host, hp.port);
  }

  /** An unresolved socket address, to be resolved at connect time. */
  public InetSocketAddress toUnresolvedAddress() {
    return InetSocketAddress.createUnresolved(host, port);
  }

  /** {@code host:port}, or {@code [v6]:port} for an IPv6 host. */
  @Override
  public String toString() {
    return HostPort.format(host, port);
  }
}
