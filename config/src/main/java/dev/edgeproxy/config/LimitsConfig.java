package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigSchema.Bytes;
import dev.edgeproxy.config.ConfigSchema.Default;
import dev.edgeproxy.config.ConfigSchema.Positive;
import dev.edgeproxy.config.ConfigSchema.Range;
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
    @Default("20000") @Range(min = 1, max = Integer.MAX_VALUE) int maxConnections,
    @Default("256") @Range(min = 1, max = Integer.MAX_VALUE) int maxConnectionsPerIp,
    @Default("15m") @Positive Duration idleTimeout,
    @Default("30s") Duration drainTimeout,
    @Default("64") @Range(min = MIN_IPV6_PREFIX_LENGTH, max = 128) int ipv6PrefixLength,
    // 0 derives the budget from the direct-memory cap; explicit budgets start at 1 MiB
    @Default("0") @Bytes @Range(min = 1 << 20, max = Integer.MAX_VALUE) long memoryBudget,
    @Default("30s") @Positive Duration halfClosedTimeout) {
  public static final int MIN_IPV6_PREFIX_LENGTH = 16;
  /** Every key at its default (as the annotations above declare). */
  public static final LimitsConfig DEFAULT = RecordBinder.defaults(LimitsConfig.class);
  public static final int DEFAULT_IPV6_PREFIX_LENGTH = DEFAULT.ipv6PrefixLength();
  public static final Duration DEFAULT_HALF_CLOSED_TIMEOUT = DEFAULT.halfClosedTimeout();

  /** Bounds are the loader's ({@link Range}); a record built in code is trusted as written. */
  public LimitsConfig {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(drainTimeout, "drainTimeout");
    Objects.requireNonNull(halfClosedTimeout, "halfClosedTimeout");
  }

  /** The defaults for the IPv6 prefix, the memory budget (derived) and the half-closed timeout. */
  public LimitsConfig(
      int maxConnections, int maxConnectionsPerIp, Duration idleTimeout, Duration drainTimeout) {
    this(
        maxConnections,
        maxConnectionsPerIp,
        idleTimeout,
        drainTimeout,
        DEFAULT.ipv6PrefixLength(),
        DEFAULT.memoryBudget(),
        DEFAULT.halfClosedTimeout());
  }
}
