package dev.edgeproxy.server.cli;

import dev.edgeproxy.config.ConfigException;
import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.EdgeProxyConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * {@code -c, --config}: the configuration file of {@code run}, {@code validate}, {@code check} and
 * {@code sync} (a picocli mixin), and the one way the commands load a configuration.
 */
final class ConfigFileOption {
  static final String DEFAULT_CONFIG = "/etc/edge-proxy/edge-proxy.yaml";
  /** The exit status of a configuration with problems, in every command. */
  static final int BAD_CONFIG = 1;

  @Option(
      names = {"-c", "--config"},
      paramLabel = "<config>",
      defaultValue = DEFAULT_CONFIG,
      description = "configuration file (default: ${DEFAULT-VALUE})")
  Path file;

  /** The configuration named by {@code --config}; see {@link #load(Path, PrintStream)}. */
  Optional<EdgeProxyConfig> load(PrintStream problems) {
    return load(file, problems);
  }

  /**
   * The configuration in {@code file}, or empty after printing each of its problems ({@code
   * FILE:LINE:COLUMN: message}) on {@code problems}: the command then exits {@link #BAD_CONFIG}.
   */
  static Optional<EdgeProxyConfig> load(Path file, PrintStream problems) {
    try {
      return Optional.of(ConfigLoader.load(file));
    } catch (ConfigException e) {
      e.problems().forEach(problems::println);
      return Optional.empty();
    }
  }
}
