package dev.edgeproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The configuration loader against any text. Property: a config, or a {@link ConfigException}
 * whose every problem points into the file ({@code FILE:LINE:COLUMN}, line and column from 1, a
 * message); never another exception, never an empty list of problems. The corpus holds the shipped
 * examples and hostile YAML (anchors, aliases, deep nesting, tags, huge numbers).
 */
class ConfigLoaderFuzzTest {
  static final String FILE = "fuzz.yaml";
  static final Map<String, String> ENV = Map.of("REGION", "eu-west-1", "EMPTY", "");

  @FuzzTest(maxDuration = "20s")
  void aConfigOrProblemsWithTheirPlace(byte[] input) {
    String yaml = new String(input, StandardCharsets.UTF_8);
    try {
      EdgeProxyConfig config = ConfigLoader.loadFromString(yaml, FILE, ENV);
      assertThat(config).isNotNull();
    } catch (ConfigException e) {
      assertThat(e.problems()).isNotEmpty();
      long lines = yaml.lines().count();
      assertThat(e.problems()).allSatisfy(problem -> {
        assertThat(problem.file()).isEqualTo(FILE);
        assertThat(problem.line()).isPositive().isLessThanOrEqualTo((int) Math.max(1, lines + 1));
        assertThat(problem.column()).isPositive();
        assertThat(problem.message()).isNotBlank();
        assertThat(problem.toString()).startsWith(FILE + ":" + problem.line() + ":" + problem.column() + ": ");
      });
    }
  }
}
