package dev.edgeproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidationTest {
  @Test
  void okConfigAndAllowListGiveNoProblems(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("edge.yaml");
    Files.writeString(config, "allowlist:\n  file:\n    path: allow.yaml\n");
    Files.copy(ConfigLoaderTest.SPEC.resolve("allowlist.example.yaml"), dir.resolve("allow.yaml"));
    assertThat(Validation.validate(config, Map.of())).isEmpty();
  }

  @Test
  void reportsAllowListProblemsInTheAllowListFile(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("edge.yaml");
    Files.writeString(config, "allowlist:\n  file:\n    path: allow.yaml\n");
    Path allow = dir.resolve("allow.yaml");
    Files.writeString(allow, "allow:\n  - ok.example.com\n  - bad..example.com\n");
    assertThat(Validation.validate(config, Map.of()))
        .extracting(ConfigProblem::toString)
        .containsExactly(
            dir.toAbsolutePath().resolve("allow.yaml")
                + ":3:5: allow: invalid host name 'bad..example.com': empty label");
  }

  @Test
  void missingAllowListFileIsReportedAtTheConfigKey(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("edge.yaml");
    Files.writeString(config, "allowlist:\n  file:\n    path: missing.yaml\n");
    assertThat(Validation.validate(config, Map.of()))
        .extracting(ConfigProblem::toString)
        .containsExactly(
            config + ":3:11: allowlist.file.path: " + dir.toAbsolutePath().resolve("missing.yaml") + " does not exist");
  }

  @Test
  void configProblemsComeFirstAndAllOfThem(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("edge.yaml");
    Files.writeString(config, "limits:\n  idleTimeout: 10x\n  drainTimeout: 5y\n");
    assertThat(Validation.validate(config, Map.of()))
        .extracting(ConfigProblem::toString)
        .containsExactly(
            config + ":2:16: limits.idleTimeout: invalid duration '10x' (use 500ms, 10s, 5m, 1h)",
            config + ":3:17: limits.drainTimeout: invalid duration '5y' (use 500ms, 10s, 5m, 1h)");
  }

  @Test
  void exampleConfigValidatesApartFromItsAbsentAllowListFile() {
    Path example = ConfigLoaderTest.SPEC.resolve("edge-proxy.example.yaml");
    assertThat(Validation.validate(example, ConfigLoaderTest.ENV))
        .extracting(ConfigProblem::message)
        .allSatisfy(m -> assertThat(m).startsWith("allowlist.file.path: /etc/edge-proxy/allowlist.yaml"));
  }
}
