package dev.edgeproxy.server.cli;

import dev.edgeproxy.config.ConfigException;
import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.ConfigProblem;
import dev.edgeproxy.config.Validation;
import dev.edgeproxy.server.limits.MemoryBudgets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Checks the configuration and its local allow-list file.",
    description = {
      "Loads and checks the configuration and every local allow-list file it names.",
      "Reads them exactly as run does (bounded, regular files only, strict UTF-8, cron checked by Quartz).",
      "Prints OK and exits 0, or prints FILE:LINE:COLUMN: message for each problem and exits 1;",
      "70 on an internal error."
    })
final class ValidateCommand implements Callable<Integer> {
  @Option(
      names = {"-c", "--config"},
      defaultValue = Main.DEFAULT_CONFIG,
      description = "configuration file (default: ${DEFAULT-VALUE})")
  Path config;

  @Override
  public Integer call() {
    List<ConfigProblem> problems = Validation.validate(config);
    if (problems.isEmpty()) {
      try {
        // Advice, not errors: the budget bounds what maxConnections would let through.
        MemoryBudgets.warnings(ConfigLoader.load(config)).forEach(w -> System.err.println("warning: " + w));
      } catch (ConfigException e) {
        e.problems().forEach(p -> System.out.println(p));
        return 1;
      }
      System.out.println("OK");
      return 0;
    }
    problems.forEach(p -> System.out.println(p));
    return 1;
  }
}
