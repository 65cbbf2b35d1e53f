package dev.edgeproxy.sni;

import java.net.SocketAddress;

/**
 * One backend endpoint as a pool hands it out for one connection attempt. The callbacks let the pool
 * count open connections (least-connections balancing, {@code /status}) and eject endpoints that
 * refuse connections. They are called on the connection's event loop and must not block.
 */
public interface Upstream {
  /** Where to connect; may be unresolved (resolved at connect time). */
  SocketAddress address();

  /** How logs and metrics name this endpoint, e.g. {@code 100.64.0.10:443}. */
  String label();

  /** A connection to this endpoint was established. */
  default void connected() {}

  /** A connection attempt to this endpoint failed or timed out. */
  default void connectFailed(Throwable cause) {}

  /** A connection that {@link #connected()} earlier is now closed. */
  default void released() {}
}
