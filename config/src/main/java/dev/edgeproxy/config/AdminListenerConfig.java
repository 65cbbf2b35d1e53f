package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigSchema.Default;
import dev.edgeproxy.config.ConfigSchema.IfEmpty;
import dev.edgeproxy.config.ConfigSchema.Range;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code listeners.admin}: health, readiness, metrics, status, sync and the Git webhook.
 *
 * @param binds {@code bind}; default {@code 127.0.0.1:9901}
 * @param allowFrom networks allowed to use everything but {@code /hooks/git}; default loopback
 *     ({@code 127.0.0.0/8}, {@code ::1/128})
 * @param syncToken bearer token for {@code POST /sync}; empty = {@code /sync} is refused. Never
 *     printed by {@link #toString()}.
 * @param maxConnections {@code maxConnections}: the most admin connections open at once (default
 *     64); a quarter of them (at least one) at most from addresses
 *     outside {@code allowFrom}, which can only reach {@code /hooks/git}
 */
public record AdminListenerConfig(
    @ConfigKey("bind") @Default("127.0.0.1:9901") List<BindAddress> binds,
    @Default({"127.0.0.0/8", "::1/128"}) List<Cidr> allowFrom,
    @IfEmpty("omit it to disable POST /sync") Optional<String> syncToken,
    @Default("64") @Range(min = 1, max = MAX_MAX_CONNECTIONS) int maxConnections) {
  public static final int MAX_MAX_CONNECTIONS = 10_000;
  /** The default admin listener: {@code 127.0.0.1:9901}, loopback only, no sync token. */
  private static final AdminListenerConfig DEFAULTS = RecordBinder.defaults(AdminListenerConfig.class);
  public static final List<BindAddress> DEFAULT_BINDS = DEFAULTS.binds();
  public static final int DEFAULT_MAX_CONNECTIONS = DEFAULTS.maxConnections();

  /** Bounds are the loader's ({@link Range}); a record built in code is trusted as written. */
  public AdminListenerConfig {
    binds = List.copyOf(binds);
    allowFrom = List.copyOf(allowFrom);
    Objects.requireNonNull(syncToken, "syncToken");
  }

  /** With the default {@code maxConnections}. */
  public AdminListenerConfig(List<BindAddress> binds, List<Cidr> allowFrom, Optional<String> syncToken) {
    this(binds, allowFrom, syncToken, DEFAULT_MAX_CONNECTIONS);
  }

  /** Connections from outside {@code allowFrom} (webhook senders) leave the rest for operators. */
  public int maxConnectionsFromOutside() {
    return Math.max(1, maxConnections / 4);
  }

  /** The default admin listener: {@code 127.0.0.1:9901}, loopback only, no sync token. */
  public static AdminListenerConfig defaults() {
    return DEFAULTS;
  }

  /** True when {@code client} may use the admin endpoints other than the webhook. */
  public boolean allows(InetAddress client) {
    for (Cidr cidr : allowFrom) {
      if (cidr.contains(client)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return "AdminListenerConfig[binds="
        + binds
        + ", allowFrom="
        + allowFrom
        + ", syncToken="
        + (syncToken.isPresent() ? "<set>" : "<none>")
        + ", maxConnections="
        + maxConnections
        + "]";
  }
}
