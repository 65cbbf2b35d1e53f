package dev.edgeproxy.sni;

/**
 * Lets the wiring close a forwarded connection later (a host revoked with {@code
 * closeRevokedAfter}, shutdown after {@code drainTimeout}). Safe to call from any thread.
 */
public interface ConnectionHandle {
  /** Closes both sides; {@code reason} ends up in the access log (revoked, drain). */
  void close(Reason reason);
}
