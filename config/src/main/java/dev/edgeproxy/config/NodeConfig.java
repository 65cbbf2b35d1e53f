package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigSchema.Default;
import dev.edgeproxy.config.ConfigSchema.DefaultFrom;
import dev.edgeproxy.config.ConfigSchema.Range;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * {@code node}: this entrance node.
 *
 * @param name shown in {@code /status}, logs and as a metrics tag; default: the machine's host name
 *     ({@code edge-proxy} when that cannot be found)
 * @param warmUpConnections loopback connections driven through the TLS data path at start, before
 *     the public listeners open and readiness turns ready, so a restarted node does not serve its
 *     first clients with cold (interpreted) code; 0 turns the warm-up off. Default 5000
 */
public record NodeConfig(
    @DefaultFrom(LocalHostName.class) String name,
    @Default("5000") @Range(min = 0, max = 100_000) int warmUpConnections) {
  public NodeConfig {
    Objects.requireNonNull(name, "name");
  }

  /** The machine's host name, {@code edge-proxy} when that cannot be found. */
  static final class LocalHostName implements Supplier<String> {
    @Override
    public String get() {
      try {
        String name = InetAddress.getLocalHost().getHostName();
        return name == null || name.isBlank() ? "edge-proxy" : name;
      } catch (IOException e) {
        return "edge-proxy";
      }
    }
  }
}
