package dev.edgeproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The sections bound with Jackson: defaults and bounds from the records, problems with places. */
class RecordBinderTest {
  @Test
  void defaultsComeFromTheRecordsAnnotations() {
    assertThat(LimitsConfig.DEFAULT)
        .isEqualTo(
            new LimitsConfig(
                20000, 256, Duration.ofMinutes(15), Duration.ofSeconds(30), 64, 0, Duration.ofSeconds(30)));
  }

  @Test
  void listDefaultsAreTheOnesDocumented() {
    assertThat(AdminListenerConfig.defaults())
        .isEqualTo(
            new AdminListenerConfig(
                List.of(new BindAddress("127.0.0.1", 9901)), Cidr.loopback(), Optional.empty(), 64));
    assertThat(HealthListenerConfig.EVERYONE)
        .containsExactly(Cidr.parse("0.0.0.0/0"), Cidr.parse("::/0"));
    assertThat(AccessLogConfig.DEFAULT)
        .isEqualTo(new AccessLogConfig(AccessLogConfig.Format.JSON, Optional.empty()));
  }

  @Test
  void oneValueIsAOneItemListAndPathsAreRelativeToTheFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("edge-proxy.yaml");
    Files.writeString(
        file,
        "listeners:\n  admin:\n    bind: 127.0.0.1:9999\n    allowFrom: 10.0.0.0/8\n"
            + "accessLog: {format: text, path: logs/access.log}\n");
    EdgeProxyConfig c = ConfigLoader.load(file, Map.of());
    AdminListenerConfig admin = c.listeners().admin();
    assertThat(admin.binds()).containsExactly(new BindAddress("127.0.0.1", 9999));
    assertThat(admin.allowFrom()).containsExactly(Cidr.parse("10.0.0.0/8"));
    assertThat(c.accessLog().path()).contains(dir.toAbsolutePath().resolve("logs/access.log"));
  }

  @Test
  void noSniRefuseMeansNoneAndAPoolNameMustExist() throws Exception {
    String pool = "backends:\n  p: {tls: [\"10.0.0.1:443\"]}\n";
    assertThat(
            ConfigLoader.loadFromString(pool + "listeners:\n  tls: {noSni: refuse}\n", "t.yaml", Map.of())
                .listeners().tls().orElseThrow().noSni())
        .isEmpty();
    assertThat(
            ConfigLoader.loadFromString(pool + "listeners:\n  tls: {noSni: p}\n", "t.yaml", Map.of())
                .listeners().tls().orElseThrow().noSni())
        .contains("p");
    assertThatThrownBy(
            () -> ConfigLoader.loadFromString(pool + "listeners:\n  tls: {noSni: q}\n", "t.yaml", Map.of()))
        .hasMessage("t.yaml:4:16: listeners.tls.noSni: no backend named 'q' (defined: p)");
    assertThatThrownBy(
            () -> ConfigLoader.loadFromString(pool + "listeners:\n  tls: {noSni: \" \"}\n", "t.yaml", Map.of()))
        .hasMessage("t.yaml:4:16: listeners.tls.noSni: must not be empty (refuse or a backend name)");
  }

  @Test
  void valuesAreSubstitutedThenBound() throws Exception {
    LimitsConfig limits =
        ConfigLoader.loadFromString(
                "limits:\n  maxConnections: ${MAX}\n  idleTimeout: ${IDLE:-2m}\n  drainTimeout: ~\n",
                "t.yaml",
                Map.of("MAX", "99"))
            .limits();
    assertThat(limits.maxConnections()).isEqualTo(99);
    assertThat(limits.idleTimeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(limits.drainTimeout()).as("null is absent").isEqualTo(LimitsConfig.DEFAULT.drainTimeout());
  }

  static Stream<Arguments> wrongValues() {
    return Stream.of(
        Arguments.of(
            "limits:\n  maxConnections: [1, 2]\n  idleTimeout: {a: 1}\n  drainTimeout: 1s\n",
            List.of(
                "t.yaml:2:19: limits.maxConnections: expected a single value, got a list",
                "t.yaml:3:16: limits.idleTimeout: expected a single value, got a map")),
        Arguments.of(
            "limits:\n  maxConnectionsPerIp: ${UNSET}\n  ipv6PrefixLength: 99999999999999999999\n",
            List.of(
                "t.yaml:2:24: limits.maxConnectionsPerIp: environment variable UNSET is not set",
                "t.yaml:3:21: limits.ipv6PrefixLength: expected a whole number, got '99999999999999999999'")),
        Arguments.of(
            "limits:\n  memoryBudget: 8GiB\n  maxConnections: 2147483648\n",
            List.of(
                "t.yaml:2:17: limits.memoryBudget: 8GiB is not in 1048576..2147483647 bytes",
                "t.yaml:3:19: limits.maxConnections: 2147483648 is not in 1..2147483647")),
        Arguments.of("limits: 5\n", List.of("t.yaml:1:9: limits: expected a map, got '5'")),
        Arguments.of(
            "listeners:\n  admin:\n    allowFrom: []\n    syncToken: \" \"\n"
                + "  health:\n    allowFrom: {a: 1}\n    bind: [~, [1], \"127.0.0.1:9903\"]\n",
            List.of(
                "t.yaml:3:16: listeners.admin.allowFrom: needs at least one value",
                "t.yaml:4:16: listeners.admin.syncToken: must not be empty (omit it to disable POST /sync)",
                "t.yaml:6:16: listeners.health.allowFrom: expected a value or a list, got a map",
                "t.yaml:7:12: listeners.health.bind: expected a single value, got nothing",
                "t.yaml:7:15: listeners.health.bind: expected a single value, got a list")),
        Arguments.of(
            "accessLog:\n  format: [json]\n  path: \" \"\n",
            List.of(
                "t.yaml:2:11: accessLog.format: expected a single value, got a list",
                "t.yaml:3:9: accessLog.path: must not be empty")));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("wrongValues")
  void everyWrongValueIsReportedOnceWhereItIsWritten(String yaml, List<String> expected) {
    assertThatThrownBy(() -> ConfigLoader.loadFromString(yaml, "t.yaml", Map.of()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> assertThat(e.problems()).map(ConfigProblem::toString).containsExactlyElementsOf(expected));
  }
}
