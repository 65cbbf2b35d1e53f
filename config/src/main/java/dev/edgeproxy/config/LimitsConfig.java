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
 * @param ipv6PrefixLength IPv6 clients are counted for {@code maxConnectionsPerIp} per network of
 *     this prefix length, since one subscriber usually holds a whole /64; 128 counts each address.
 *     Default 64
 */
public record LimitsConfig(
    int maxConnections,
    int maxConnectionsPerIp,
    Duration idleTimeout,
    Duration drainTimeout,
    int ipv6PrefixLength) {
  public static final int MIN_IPV6_PREFIX_LENGTH = 16;
  public static final LimitsConfig DEFAULT =
      new LimitsConfig(20000, 256, Duration.ofMinutes(15), Duration.ofSeconds(30), 64);

  public LimitsConfig {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    if (ipv6PrefixLength < MIN_IPV6_PREFIX_LENGTH || ipv6PrefixLength > 128) {
      throw new IllegalArgumentException(
          "ipv6PrefixLength must be in [" + MIN_IPV6_PREFIX_LENGTH + ", 128]: " + ipv6PrefixLength);
    }
  }
}
