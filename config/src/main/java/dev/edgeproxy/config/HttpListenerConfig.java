package dev.edgeproxy.config;

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
    @ConfigKey("bind") List<BindAddress> binds, HttpMode mode, int maxHeaderBytes, Duration headerTimeout) {
  public static final List<BindAddress> DEFAULT_BINDS = List.of(new BindAddress("0.0.0.0", 80));
  public static final int DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
  public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(10);

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
