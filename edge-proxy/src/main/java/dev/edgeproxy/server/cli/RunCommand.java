package dev.edgeproxy.server.cli;

import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.server.EdgeProxyServer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "run",
    header = "Runs the proxy until SIGTERM or SIGINT; SIGHUP reloads.",
    description = {
      "Runs the proxy until SIGTERM or SIGINT, then drains open connections (exit 0).",
      "SIGHUP reloads the configuration and re-reads every allow-list source."
    })
final class RunCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  @Mixin RootGuard rootGuard = new RootGuard();

  @Mixin ConfigFileOption config = new ConfigFileOption();

  @Override
  public Integer call() throws Exception {
    if (rootGuard.refusesThisProcess()) {
      return RootGuard.REFUSED;
    }
    Optional<EdgeProxyConfig> loaded = config.load(System.err);
    if (loaded.isEmpty()) {
      System.err.println("edge-proxy: refusing to start: " + config.file + " has problems (see above)");
      return ConfigFileOption.BAD_CONFIG;
    }
    return runUntilSignalled(loaded.get(), config.file);
  }

  /** Starts the server, waits for SIGTERM/SIGINT, drains, returns the exit status. */
  static int runUntilSignalled(EdgeProxyConfig config, Path configFile) throws Exception {
    Signals signals = Signals.install();
    EdgeProxyServer server;
    try {
      server = EdgeProxyServer.start(config, configFile);
    } catch (IllegalStateException e) {
      log.error("edge-proxy: cannot start: {}", e.getMessage());
      return 1;
    }
    signals.onReload(() -> server.reload());
    signals.awaitTermination();
    server.stop();
    log.info("edge-proxy stopped");
    return 0;
  }
}
