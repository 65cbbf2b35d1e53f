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
  void everyAllowListProblemIsOneLine(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("edge.yaml");
    Files.writeString(config, "allowlist:\n  file:\n    path: allow.yaml\n");
    Path allow = dir.resolve("allow.yaml");
    Files.writeString(allow, "allow:\n  - bad..example.com\n  - -a.example.com\ndeny: [x_y.example.com]\n");
    String file = dir.toAbsolutePath().resolve("allow.yaml").toString();
    assertThat(Validation.validate(config, Map.of()))
        .extracting(ConfigProblem::toString)
        .containsExactly(
            file + ":2:5: allow: invalid host name 'bad..example.com': empty label",
            file + ":3:5: allow: invalid host name '-a.example.com': label starts or ends with '-'",
            file + ":4:8: deny: invalid host name 'x_y.example.com': character '_' is not allowed in a host name");
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

  @Test
  void bindsThatWillCollideAreReportedWhereTheyAreWritten(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("edge.yaml");
    Files.writeString(
        config,
        """
        listeners:
          tls:
            bind: ["0.0.0.0:8443", "[::]:8443", "127.0.0.1:8443"]
          http:
            bind: ["[::1]:8080", "[::1]:8080"]
          admin:
            bind: ["[::]:8080"]
        backends:
          p:
            tls: ["10.0.0.1:443"]
        defaultBackend: p
        """);
    assertThat(Validation.validate(config, Map.of()))
        .extracting(ConfigProblem::toString)
        .containsExactly(
            config
                + ":3:41: listeners.tls.bind: 127.0.0.1:8443 collides with 0.0.0.0:8443"
                + " (listeners.tls.bind at line 3): a wildcard and a specific address of the same"
                + " family cannot both listen on one port (the wildcard already covers it)",
            config
                + ":5:26: listeners.http.bind: [::1]:8080 collides with [::1]:8080"
                + " (listeners.http.bind at line 5): the same address is bound twice",
            config
                + ":7:12: listeners.admin.bind: [::]:8080 collides with [::1]:8080"
                + " (listeners.http.bind at line 5): a wildcard and a specific address of the same"
                + " family cannot both listen on one port (the wildcard already covers it)");
  }

  @Test
  void bothWildcardsOfOnePortDoNotCollide(@TempDir Path dir) throws Exception {
    Path config = dir.resolve("edge.yaml");
    Files.writeString(
        config,
        "listeners:\n  tls:\n    bind: [\"0.0.0.0:443\", \"[::]:443\"]\n"
            + "  http:\n    bind: [\"0.0.0.0:80\", \"[::]:80\"]\n"
            + "backends:\n  p:\n    tls: [\"10.0.0.1:443\"]\ndefaultBackend: p\n");
    assertThat(Validation.validate(config, Map.of())).isEmpty();
  }
}
