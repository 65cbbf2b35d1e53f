package dev.edgeproxy.config;

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
 *     {@value #DEFAULT_MAX_CONNECTIONS}); a quarter of them (at least one) at most from addresses
 *     outside {@code allowFrom}, which can only reach {@code /hooks/git}
 */
public record AdminListenerConfig(
    @ConfigKey("bind") List<BindAddress> binds,
    List<Cidr> allowFrom,
    Optional<String> syncToken,
    int maxConnections) {
  public static final List<BindAddress> DEFAULT_BINDS =
      List.of(new BindAddress("127.0.0.1", 9901));
  public static final int DEFAULT_MAX_CONNECTIONS = 64;
  public static final int MAX_MAX_CONNECTIONS = 10_000;

  public AdminListenerConfig {
    binds = List.copyOf(binds);
    allowFrom = List.copyOf(allowFrom);
    Objects.requireNonNull(syncToken, "syncToken");
    if (maxConnections < 1 || maxConnections > MAX_MAX_CONNECTIONS) {
      throw new IllegalArgumentException("maxConnections not in 1.." + MAX_MAX_CONNECTIONS + ": " + maxConnections);
    }
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
    return new AdminListenerConfig(DEFAULT_BINDS, Cidr.loopback(), Optional.empty());
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
