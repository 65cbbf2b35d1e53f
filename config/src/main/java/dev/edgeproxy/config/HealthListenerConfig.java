package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigSchema.Default;
import dev.edgeproxy.config.ConfigSchema.Range;
import java.net.InetAddress;
import java.util.List;

/**
 * {@code listeners.health}: a second, minimal HTTP listener answering only {@code GET /healthz}
 * and {@code GET /readyz}, for a Route53 health check or a load balancer that must reach readiness
 * from outside while the admin endpoint stays on loopback or the mesh. It tells nothing but yes or
 * no: the reasons stay on the admin endpoint.
 *
 * @param binds {@code bind}; default {@code 0.0.0.0:9902}
 * @param allowFrom networks allowed to ask; default every address (answers carry no detail)
 * @param maxConnections {@code maxConnections}: the most connections open at once (default {@value
 *     #DEFAULT_MAX_CONNECTIONS}), a quarter of them (at least one) at most from addresses outside
 *     {@code allowFrom}; the listener is public, so a flood of idle connections must not take
 *     the process's descriptors or lock the allowed checkers out
 */
public record HealthListenerConfig(
    @ConfigKey("bind") @Default("0.0.0.0:9902") List<BindAddress> binds,
    @Default({"0.0.0.0/0", "::/0"}) List<Cidr> allowFrom,
    @Default("256") @Range(min = 1, max = MAX_MAX_CONNECTIONS) int maxConnections) {
  public static final int MAX_MAX_CONNECTIONS = 10_000;
  /** A listener written as {@code health: {}}. */
  private static final HealthListenerConfig DEFAULTS = RecordBinder.defaults(HealthListenerConfig.class);
  public static final List<BindAddress> DEFAULT_BINDS = DEFAULTS.binds();
  /** Every address: the default {@code allowFrom}. */
  public static final List<Cidr> EVERYONE = DEFAULTS.allowFrom();
  public static final int DEFAULT_MAX_CONNECTIONS = DEFAULTS.maxConnections();

  public HealthListenerConfig {
    binds = List.copyOf(binds);
    allowFrom = List.copyOf(allowFrom);
  }

  /** With the default {@code maxConnections}. */
  public HealthListenerConfig(List<BindAddress> binds, List<Cidr> allowFrom) {
    this(binds, allowFrom, DEFAULT_MAX_CONNECTIONS);
  }

  /** Connections from outside {@code allowFrom} (who get 403 anyway) leave the rest to the checkers. */
  public int maxConnectionsFromOutside() {
    return Math.max(1, maxConnections / 4);
  }

  /** True when {@code client} may ask. */
  public boolean allows(InetAddress client) {
    return allowFrom.stream().anyMatch(c -> c.contains(client));
  }
}
