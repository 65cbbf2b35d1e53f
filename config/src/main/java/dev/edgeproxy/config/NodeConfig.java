package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigSchema.DefaultFrom;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * {@code node}: this entrance node.
 *
 * @param name shown in {@code /status}, logs and as a metrics tag; default: the machine's host name
 *     ({@code edge-proxy} when that cannot be found)
 */
public record NodeConfig(@DefaultFrom(LocalHostName.class) String name) {
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
