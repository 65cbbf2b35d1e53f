package dev.edgeproxy.config;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * {@code backends.<name>}: a pool of endpoints, for example the cluster's ingress reached over the
 * mesh. At least one of {@code tls} and {@code http} is non-empty.
 *
 * @param name the key under {@code backends}
 * @param tls endpoints for the TLS listener
 * @param http endpoints for the HTTP listener
 * @param proxyProtocol the PROXY header sent first; default v2
 * @param proxyProtocolTlvs TLVs added to a v2 header; default {@code [authority, unique-id]}, may be
 *     empty
 * @param balance round-robin (default) or least-connections
 * @param connectTimeout per endpoint; on timeout or refusal the next healthy endpoint is tried;
 *     default 3s
 * @param healthCheck active TCP connect check of every endpoint
 */
public record BackendPoolConfig(
    @ConfigKey(ConfigKey.NONE) String name,
    List<Endpoint> tls,
    List<Endpoint> http,
    ProxyProtocolVersion proxyProtocol,
    Set<ProxyTlv> proxyProtocolTlvs,
    Balance balance,
    Duration connectTimeout,
    HealthCheckConfig healthCheck) {
  public static final Set<ProxyTlv> DEFAULT_TLVS =
      Collections.unmodifiableSet(EnumSet.allOf(ProxyTlv.class));
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);

  public BackendPoolConfig {
    Objects.requireNonNull(name, "name");
    tls = List.copyOf(tls);
    http = List.copyOf(http);
    Objects.requireNonNull(proxyProtocol, "proxyProtocol");
    proxyProtocolTlvs =
        Collections.unmodifiableSet(
            proxyProtocolTlvs.isEmpty()
                ? EnumSet.noneOf(ProxyTlv.class)
                : EnumSet.copyOf(proxyProtocolTlvs));
    Objects.requireNonNull(balance, "balance");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(healthCheck, "healthCheck");
  }

  /** {@code proxyProtocol}: v2 | v1 | none. */
  public enum ProxyProtocolVersion {
    V2,
    V1,
    NONE
  }

  /** {@code proxyProtocolTlvs} items. */
  public enum ProxyTlv {
    /** {@code authority}: PP2_TYPE_AUTHORITY (0x02), the SNI host or HTTP Host. */
    AUTHORITY("authority"),
    /** {@code unique-id}: PP2_TYPE_UNIQUE_ID (0x05), the connection id of the access log. */
    UNIQUE_ID("unique-id");

    private final String configName;

    ProxyTlv(String configName) {
      this.configName = configName;
    }

    /** The name used in the config file. */
    public String configName() {
      return configName;
    }
  }

  /** {@code balance}. */
  public enum Balance {
    ROUND_ROBIN,
    LEAST_CONNECTIONS
  }

  /**
   * {@code healthCheck}: an active TCP connect check of every endpoint.
   *
   * @param interval between checks; default 10s
   * @param timeout of one connect; default 2s
   * @param unhealthyAfter consecutive failures before an endpoint is marked down; default 3
   * @param healthyAfter consecutive successes before it is marked up again; default 2
   */
  public record HealthCheckConfig(
      Duration interval, Duration timeout, int unhealthyAfter, int healthyAfter) {
    public static final HealthCheckConfig DEFAULT =
        new HealthCheckConfig(Duration.ofSeconds(10), Duration.ofSeconds(2), 3, 2);

    public HealthCheckConfig {
      Objects.requireNonNull(interval, "interval");
      Objects.requireNonNull(timeout, "timeout");
    }
  }
}
