package dev.edgeproxy.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A listening address as written in the config: a host (IP literal or name, {@code 0.0.0.0} and
 * {@code ::} for all) and a port. Kept as text so the config never resolves names; {@link
 * #toSocketAddress()} resolves when the listener binds.
 */
public record BindAddress(String host, int port) {
  public BindAddress {
    Objects.requireNonNull(host, "host");
    HostPort.checkHost(host);
    HostPort.checkPort(port);
  }

  /**
   * Parses {@code host:port} or {@code [v6]:port}.
   *
   * @throws IllegalArgumentException when malformed or the port is not in 1..65535
   */
  public static BindAddress parse(String text) {
    HostPort hp = HostPort.parse(text);
    return new BindAddress(hp.host, hp.port);
  }

  /** A socket address for binding; resolves the host (a literal is not looked up). */
  public InetSocketAddress toSocketAddress() {
    return new InetSocketAddress(host, port);
  }

  /** {@code host:port}, or {@code [v6]:port} for an IPv6 host. */
  @Override
  public String toString() {
    return HostPort.format(host, port);
  }
}
