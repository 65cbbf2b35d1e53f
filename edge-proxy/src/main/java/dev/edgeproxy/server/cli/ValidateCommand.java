package dev.edgeproxy.server.cli;

import dev.edgeproxy.config.ConfigProblem;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.config.Validation;
import dev.edgeproxy.server.limits.MemoryBudgets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
    name = "validate",
    header = "Checks the configuration and its local allow-list file.",
    description = {
      "Loads and checks the configuration and every local allow-list file it names.",
      "Reads them exactly as run does (bounded, regular files only, strict UTF-8, cron checked by Quartz).",
      "Prints OK and exits 0, or prints FILE:LINE:COLUMN: message for each problem and exits 1;",
      "70 on an internal error."
    })
final class ValidateCommand implements Callable<Integer> {
  @Mixin ConfigFileOption config = new ConfigFileOption();

  @Override
  public Integer call() {
    List<ConfigProblem> problems = Validation.validate(config.file);
    if (!problems.isEmpty()) {
      problems.forEach(System.out::println);
      return ConfigFileOption.BAD_CONFIG;
    }
    Optional<EdgeProxyConfig> loaded = config.load(System.out);
    if (loaded.isEmpty()) {
      return ConfigFileOption.BAD_CONFIG;
    }
    // Advice, not errors: the budget bounds what maxConnections would let through.
    MemoryBudgets.warnings(loaded.get()).forEach(w -> System.err.println("warning: " + w));
    System.out.println("OK");
    return 0;
  }
}
