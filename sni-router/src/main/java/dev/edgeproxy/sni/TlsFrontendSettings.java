package dev.edgeproxy.sni;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The limits and options of one TLS (SNI-peeking) listener.
 *
 * @param listenerName the listener name in logs and metrics, e.g. {@code tls}
 * @param acceptProxyProtocol whether a load balancer in front sends a PROXY header (v1 or v2) first;
 *     then it is required, and its addresses become the connection's
 * @param proxyProtocolFrom with {@code acceptProxyProtocol}, the peers (load balancers) whose
 *     header is believed; a connection from any other peer is closed before anything is read
 * @param clientHelloTimeout the most time from accept to a complete ClientHello
 * @param maxClientHelloBytes the most bytes read before the decision, record headers included
 * @param idleTimeout a forwarded connection with no byte moving either way on either socket for
 *     this long is closed
 * @param halfClosedTimeout once either side of a forwarded connection has sent its FIN, no byte
 *     moving for this long closes it
 */
public record TlsFrontendSettings(
    String listenerName,
    boolean acceptProxyProtocol,
    Predicate<InetAddress> proxyProtocolFrom,
    Duration clientHelloTimeout,
    int maxClientHelloBytes,
    Duration idleTimeout,
    Duration halfClosedTimeout) {
  /** The smallest cap that still fits a minimal hello; real ones are 16 KiB to 64 KiB. */
  public static final int MIN_CLIENT_HELLO_BYTES = 512;
  /**
   * The largest cap: 1 MiB, far above any real hello and the bound the configuration accepts (a
   * test in edge-proxy keeps the two equal). The protocol would allow 16 MiB (a 24-bit length), but
   * every byte buffered before the decision is memory a stranger makes us hold.
   */
  public static final int MAX_CLIENT_HELLO_BYTES = 1 << 20;

  public TlsFrontendSettings {
    Objects.requireNonNull(listenerName, "listenerName");
    Objects.requireNonNull(proxyProtocolFrom, "proxyProtocolFrom");
    requirePositive(clientHelloTimeout, "clientHelloTimeout");
    requirePositive(idleTimeout, "idleTimeout");
    requirePositive(halfClosedTimeout, "halfClosedTimeout");
    if (maxClientHelloBytes < MIN_CLIENT_HELLO_BYTES || maxClientHelloBytes > MAX_CLIENT_HELLO_BYTES) {
      throw new IllegalArgumentException(
          "maxClientHelloBytes must be in [" + MIN_CLIENT_HELLO_BYTES + ", " + MAX_CLIENT_HELLO_BYTES
              + "]: " + maxClientHelloBytes);
    }
  }

  /** Settings whose half-closed timeout is 30 s (or the idle timeout when that is shorter). */
  public TlsFrontendSettings(
      String listenerName,
      boolean acceptProxyProtocol,
      Predicate<InetAddress> proxyProtocolFrom,
      Duration clientHelloTimeout,
      int maxClientHelloBytes,
      Duration idleTimeout) {
    this(
        listenerName, acceptProxyProtocol, proxyProtocolFrom, clientHelloTimeout,
        maxClientHelloBytes, idleTimeout,
        idleTimeout == null ? null : min(idleTimeout, Duration.ofSeconds(30)));
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static void requirePositive(Duration d, String name) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " must be positive: " + d);
    }
  }
}
