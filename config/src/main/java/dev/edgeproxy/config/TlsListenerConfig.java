package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigSchema.Bytes;
import dev.edgeproxy.config.ConfigSchema.Default;
import dev.edgeproxy.config.ConfigSchema.IfEmpty;
import dev.edgeproxy.config.ConfigSchema.NoneWord;
import dev.edgeproxy.config.ConfigSchema.Positive;
import dev.edgeproxy.config.ConfigSchema.Range;
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
    @ConfigKey("bind") @Default("0.0.0.0:443") List<BindAddress> binds,
    @Default("false") boolean acceptProxyProtocol,
    @Default({}) List<Cidr> proxyProtocolFrom,
    @Default("10s") @Positive Duration clientHelloTimeout,
    @Default("16384")
        @Bytes
        @Range(min = MIN_MAX_CLIENT_HELLO_BYTES, max = MAX_MAX_CLIENT_HELLO_BYTES)
        int maxClientHelloBytes,
    @NoneWord("refuse") @IfEmpty("refuse or a backend name") Optional<String> noSni) {
  /** The smallest {@code maxClientHelloBytes}: a minimal hello still fits. */
  public static final int MIN_MAX_CLIENT_HELLO_BYTES = 512;
  /** The largest {@code maxClientHelloBytes}: real hellos are 16 KiB to 64 KiB. */
  public static final int MAX_MAX_CLIENT_HELLO_BYTES = 1 << 20;
  /** A listener written as {@code tls: {}}. */
  private static final TlsListenerConfig DEFAULTS = RecordBinder.defaults(TlsListenerConfig.class);
  public static final List<BindAddress> DEFAULT_BINDS = DEFAULTS.binds();
  public static final Duration DEFAULT_CLIENT_HELLO_TIMEOUT = DEFAULTS.clientHelloTimeout();
  public static final int DEFAULT_MAX_CLIENT_HELLO_BYTES = DEFAULTS.maxClientHelloBytes();

  /**
   * {@code acceptProxyProtocol} without {@code proxyProtocolFrom} is the loader's to refuse (with
   * where it is written); built so in code, no peer's PROXY header is believed.
   */
  public TlsListenerConfig {
    binds = List.copyOf(binds);
    proxyProtocolFrom = List.copyOf(proxyProtocolFrom);
    Objects.requireNonNull(clientHelloTimeout, "clientHelloTimeout");
    Objects.requireNonNull(noSni, "noSni");
  }
}
