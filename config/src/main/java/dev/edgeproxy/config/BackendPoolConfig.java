package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigSchema.Default;
import dev.edgeproxy.config.ConfigSchema.MayBeEmpty;
import dev.edgeproxy.config.ConfigSchema.Positive;
import dev.edgeproxy.config.ConfigSchema.Range;
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
    @Default({}) @MayBeEmpty List<Endpoint> tls,
    @Default({}) @MayBeEmpty List<Endpoint> http,
    @Default("v2") ProxyProtocolVersion proxyProtocol,
    @Default({"authority", "unique-id"}) @MayBeEmpty Set<ProxyTlv> proxyProtocolTlvs,
    @Default("round-robin") Balance balance,
    @Default("3s") @Positive Duration connectTimeout,
    HealthCheckConfig healthCheck) {
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

    /** The TLV named {@code text} in the config file (any case). */
    public static ProxyTlv parse(String text) {
      for (ProxyTlv t : values()) {
        if (t.configName.equalsIgnoreCase(text.strip())) {
          return t;
        }
      }
      throw new IllegalArgumentException("unknown TLV '" + text + "' (use authority, unique-id)");
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
      @Default("10s") @Positive Duration interval,
      @Default("2s") @Positive Duration timeout,
      @Default("3") @Range(min = 1, max = 1000) int unhealthyAfter,
      @Default("2") @Range(min = 1, max = 1000) int healthyAfter) {
    public static final HealthCheckConfig DEFAULT = RecordBinder.defaults(HealthCheckConfig.class);

    public HealthCheckConfig {
      Objects.requireNonNull(interval, "interval");
      Objects.requireNonNull(timeout, "timeout");
    }
  }
}
