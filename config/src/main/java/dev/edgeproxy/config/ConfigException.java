package dev.edgeproxy.config;

import java.util.List;
import java.util.stream.Collectors;

/** The config could not be loaded; {@link #problems()} lists every problem found, in file order. */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<ConfigProblem> problems;

  public ConfigException(List<ConfigProblem> problems) {
    super(problems.stream().map(ConfigProblem::toString).collect(Collectors.joining("\n")));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one problem");
    }
    this.problems = List.copyOf(problems);
  }

  public List<ConfigProblem> problems() {
    return problems;
  }
}
