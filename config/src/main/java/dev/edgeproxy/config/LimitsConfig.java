package dev.edgeproxy.config;

import java.time.Duration;
import java.util.Objects;

/**
 * {@code limits}.
 *
 * @param maxConnections over this, new connections are refused at accept; default 20000
 * @param maxConnectionsPerIp per client address (the PROXY-reported one with {@code
 *     acceptProxyProtocol}); default 256
 * @param idleTimeout a forwarded connection with no bytes moving either way on either socket for
 *     this long is closed; default 15m
 * @param drainTimeout on shutdown, how long open connections may finish; default 30s
 * @param ipv6PrefixLength IPv6 clients are counted for {@code maxConnectionsPerIp} per network of
 *     this prefix length, since one subscriber usually holds a whole /64; 128 counts each address.
 *     Default 64
 * @param memoryBudget bytes of direct memory that ClientHello buffering and relaying may hold
 *     across all connections; 0 (the default) derives it from the direct-memory cap at start
 * @param halfClosedTimeout once one side of a forwarded connection has sent its FIN, no bytes
 *     moving for this long closes it (HAProxy's {@code timeout client-fin}); default 30s
 */
public record LimitsConfig(
    int maxConnections,
    int maxConnectionsPerIp,
    Duration idleTimeout,
    Duration drainTimeout,
    int ipv6PrefixLength,
    long memoryBudget,
    Duration halfClosedTimeout) {
  public static final int MIN_IPV6_PREFIX_LENGTH = 16;
  public static final int DEFAULT_IPV6_PREFIX_LENGTH = 64;
  public static final Duration DEFAULT_HALF_CLOSED_TIMEOUT = Duration.ofSeconds(30);
  public static final LimitsConfig DEFAULT =
      new LimitsConfig(20000, 256, Duration.ofMinutes(15), Duration.ofSeconds(30));

  public LimitsConfig {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    Objects.requireNonNull(halfClosedTimeout, "halfClosedTimeout");
    if (ipv6PrefixLength < MIN_IPV6_PREFIX_LENGTH || ipv6PrefixLength > 128) {
      throw new IllegalArgumentException(
          "ipv6PrefixLength must be in [" + MIN_IPV6_PREFIX_LENGTH + ", 128]: " + ipv6PrefixLength);
    }
    if (memoryBudget < 0) {
      throw new IllegalArgumentException("memoryBudget must not be negative: " + memoryBudget);
    }
  }

  /** The defaults for the IPv6 prefix, the memory budget (derived) and the half-closed timeout. */
  public LimitsConfig(
      int maxConnections, int maxConnectionsPerIp, Duration idleTimeout, Duration drainTimeout) {
    this(
        maxConnections,
        maxConnectionsPerIp,
        idleTimeout,
        drainTimeout,
        DEFAULT_IPV6_PREFIX_LENGTH,
        0,
        DEFAULT_HALF_CLOSED_TIMEOUT);
  }
}
