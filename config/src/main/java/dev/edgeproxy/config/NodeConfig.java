package dev.edgeproxy.config;

import java.util.Objects;

/**
 * {@code node}: this entrance node.
 *
 * @param name shown in {@code /status}, logs and as a metrics tag; default: the machine's host name
 *     ({@code edge-proxy} when that cannot be found)
 */
public record NodeConfig(String name) {
  public NodeConfig {
    Objects.requireNonNull(name, "name");
  }
}
