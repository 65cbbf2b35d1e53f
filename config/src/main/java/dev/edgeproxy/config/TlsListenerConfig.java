package dev.edgeproxy.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code listeners.tls}: the SNI-peeking TLS passthrough listener.
 *
 * @param binds {@code bind}, one address or a list; default {@code 0.0.0.0:443}
 * @param acceptProxyProtocol a load balancer in front sends PROXY v1/v2 and its client address is
 *     the one forwarded; default false
 * @param proxyProtocolFrom the peers whose PROXY header is believed (the load balancers); a
 *     connection from any other peer is closed before anything is read. Required (not empty) with
 *     {@code acceptProxyProtocol}; unused without it
 * @param clientHelloTimeout total time from accept to a complete ClientHello; default 10s
 * @param maxClientHelloBytes every byte read before the decision, record headers included; default
 *     16384, in {@value #MIN_MAX_CLIENT_HELLO_BYTES}..{@value #MAX_MAX_CLIENT_HELLO_BYTES} (the
 *     TLS listener's own bounds, checked equal by a test in edge-proxy)
 * @param noSni {@code noSni}: the pool for hellos without SNI, empty = refuse (default)
 */
public record TlsListenerConfig(
    @ConfigKey("bind") List<BindAddress> binds,
    boolean acceptProxyProtocol,
    List<Cidr> proxyProtocolFrom,
    Duration clientHelloTimeout,
    int maxClientHelloBytes,
    Optional<String> noSni) {
  public static final List<BindAddress> DEFAULT_BINDS = List.of(new BindAddress("0.0.0.0", 443));
  public static final Duration DEFAULT_CLIENT_HELLO_TIMEOUT = Duration.ofSeconds(10);
  public static final int DEFAULT_MAX_CLIENT_HELLO_BYTES = 16384;
  /** The smallest {@code maxClientHelloBytes}: a minimal hello still fits. */
  public static final int MIN_MAX_CLIENT_HELLO_BYTES = 512;
  /** The largest {@code maxClientHelloBytes}: real hellos are 16 KiB to 64 KiB. */
  public static final int MAX_MAX_CLIENT_HELLO_BYTES = 1 << 20;

  public TlsListenerConfig {
    binds = List.copyOf(binds);
    proxyProtocolFrom = List.copyOf(proxyProtocolFrom);
    if (acceptProxyProtocol && proxyProtocolFrom.isEmpty()) {
      throw new IllegalArgumentException("acceptProxyProtocol needs proxyProtocolFrom");
    }
    Objects.requireNonNull(clientHelloTimeout, "clientHelloTimeout");
    Objects.requireNonNull(noSni, "noSni");
  }
}
