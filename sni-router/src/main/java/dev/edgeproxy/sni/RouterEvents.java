package dev.edgeproxy.sni;

/**
 * What the router reports, for metrics and the access log. The router never imports a metrics
 * library; the wiring module implements this. Every method is called on an event loop and must not
 * block (hand slow work such as file writes to another thread).
 */
public interface RouterEvents {
  RouterEvents NONE = new RouterEvents() {};

  /** A connection was accepted on a listener. */
  default void connectionOpened(ConnectionInfo connection) {}

  /** A complete ClientHello was read, {@code nanos} after accept. */
  default void clientHelloParsed(ConnectionInfo connection, RouteRequest request, long nanos) {}

  /** A backend connection was established after {@code nanos}. */
  default void backendConnected(ConnectionInfo connection, String pool, Upstream upstream, long nanos) {}

  /** A backend connection attempt failed (the next endpoint may still be tried). */
  default void backendConnectFailed(
      ConnectionInfo connection, String pool, Upstream upstream, Throwable cause) {}

  /**
   * The connection is being forwarded to {@code pool} for {@code host} (null when none); the handle
   * closes it on demand until {@link #connectionClosed} is reported.
   */
  default void connectionForwarded(
      ConnectionInfo connection, String host, String pool, ConnectionHandle handle) {}

  /** The connection ended; exactly once per {@link #connectionOpened}. */
  default void connectionClosed(ConnectionRecord record) {}
}
