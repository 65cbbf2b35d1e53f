package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigSchema.Bytes;
import dev.edgeproxy.config.ConfigSchema.Default;
import dev.edgeproxy.config.ConfigSchema.Positive;
import dev.edgeproxy.config.ConfigSchema.Range;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * {@code listeners.http}: the plain-HTTP listener; every request on a connection is checked.
 *
 * @param binds {@code bind}, one address or a list; default {@code 0.0.0.0:80}
 * @param mode forward (default) or redirect
 * @param maxHeaderBytes the largest request head (request line and headers) accepted; default 16KiB
 * @param headerTimeout time allowed for a complete request head; default 10s
 */
public record HttpListenerConfig(
    @ConfigKey("bind") @Default("0.0.0.0:80") List<BindAddress> binds,
    @Default("forward") HttpMode mode,
    @Default("16KiB") @Bytes @Range(min = 1024, max = 1 << 20) int maxHeaderBytes,
    @Default("10s") @Positive Duration headerTimeout) {
  /** A listener written as {@code http: {}}. */
  private static final HttpListenerConfig DEFAULTS = RecordBinder.defaults(HttpListenerConfig.class);
  public static final List<BindAddress> DEFAULT_BINDS = DEFAULTS.binds();
  public static final int DEFAULT_MAX_HEADER_BYTES = DEFAULTS.maxHeaderBytes();
  public static final Duration DEFAULT_HEADER_TIMEOUT = DEFAULTS.headerTimeout();

  public HttpListenerConfig {
    binds = List.copyOf(binds);
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(headerTimeout, "headerTimeout");
  }

  /** What the HTTP listener does with a request for an allowed host. */
  public enum HttpMode {
    /** forward to the pool's http endpoints with a PROXY header. */
    FORWARD,
    /**
     * answer 308 to {@code https://host/path}, except {@code /.well-known/acme-challenge/*} which
     * is forwarded.
     */
    REDIRECT
  }
}
