package dev.edgeproxy.sni;

/**
 * Lets the wiring close a forwarded connection later (a host revoked with {@code
 * closeRevokedAfter}, shutdown after {@code drainTimeout}). Safe to call from any thread.
 */
public interface ConnectionHandle {
  /** Closes both sides; {@code reason} ends up in the access log (revoked, drain). */
  default void close(Reason reason) {
    close(reason.wireName());
  }

  /**
   * As {@link #close(Reason)}: what the HTTP frontend implements today.
   *
   * @deprecated make {@link #close(Reason)} the abstract method once the HTTP frontend takes it
   */
  @Deprecated(forRemoval = true)
  void close(String reason);
}
