package dev.edgeproxy.sni;

import java.time.Duration;
import java.util.Objects;

/**
 * The limits and options of one plain-HTTP listener.
 *
 * @param listenerName the listener name in logs and metrics, e.g. {@code http}
 * @param mode what an allowed request gets: forwarded, or a redirect to https
 * @param maxHeaderBytes the longest request line, and separately the most header bytes, of one
 *     request head; longer heads get 414 or 431 and the connection is closed
 * @param headerTimeout the most time to receive a complete request head: from accept for the first
 *     request, from the end of the previous exchange for the next one on a keep-alive connection
 * @param idleTimeout a forwarded exchange with no byte either way on the client side for this long
 *     is cut
 */
public record HttpFrontendSettings(
    String listenerName, Mode mode, int maxHeaderBytes, Duration headerTimeout, Duration idleTimeout) {
  /** Room for a request line and a Host header; real heads are rarely under 1 KiB. */
  public static final int MIN_HEADER_BYTES = 256;

  /** What an allowed request gets. */
  public enum Mode {
    /** Relayed to the pool's http endpoints with a PROXY header. */
    FORWARD,
    /**
     * Answered {@code 308} to {@code https://host/path?query}, except {@code
     * /.well-known/acme-challenge/*}, which is forwarded (HTTP-01 challenges).
     */
    REDIRECT
  }

  public HttpFrontendSettings {
    Objects.requireNonNull(listenerName, "listenerName");
    Objects.requireNonNull(mode, "mode");
    requirePositive(headerTimeout, "headerTimeout");
    requirePositive(idleTimeout, "idleTimeout");
    if (maxHeaderBytes < MIN_HEADER_BYTES) {
      throw new IllegalArgumentException(
          "maxHeaderBytes must be at least " + MIN_HEADER_BYTES + ": " + maxHeaderBytes);
    }
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }
}
