package dev.edgeproxy.config;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code limits}.
 *
 * @param maxConnections over this, new connections are refused at accept; default 20000
 * @param maxConnectionsPerIp per client address (the PROXY-reported one with {@code
 *     acceptProxyProtocol}); default 256
 * @param idleTimeout a forwarded connection with no bytes either way for this long is closed;
 *     default 15m
 * @param drainTimeout on shutdown, how long open connections may finish; default 30s
 */
public record LimitsConfig(
    int maxConnections, int maxConnectionsPerIp, Duration idleTimeout, Duration drainTimeout) {
  public static final LimitsConfig DEFAULT =
      new LimitsConfig(20000, 256, Duration.ofMinutes(15), Duration.ofSeconds(30));

  public LimitsConfig {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(drainTimeout, "drainTimeout");
  }
}
