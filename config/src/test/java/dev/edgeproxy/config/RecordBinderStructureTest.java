package dev.edgeproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.config.AllowListConfig.GitSourceConfig;
import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.config.ConfigSchema.Default;
import dev.edgeproxy.yaml.YamlTree;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the binder says about structure: required keys, optional sections, lists of maps ({@code
 * routes}), a pair of keys of which one may be written, and defaults computed at load.
 */
class RecordBinderStructureTest {
  private static final String POOL = "backends:\n  p: {tls: [\"10.0.0.1:443\"]}\n";

  private static EdgeProxyConfig load(String yaml) throws ConfigException {
    return ConfigLoader.loadFromString(yaml, "t.yaml", Map.of());
  }

  @Test
  void anAbsentSectionIsNoneAndAWrittenOneIsBound() throws Exception {
    AllowListConfig none = load("allowlist: {enforce: false}\n").allowlist();
    assertThat(none.file()).isEmpty();
    assertThat(none.git()).isEmpty();
    assertThat(none.route53()).isEmpty();
    assertThat(none.enforce()).isFalse();
    GitSourceConfig git = load("allowlist:\n  git: {url: x}\n").allowlist().git().orElseThrow();
    assertThat(git.url()).isEqualTo("x");
    assertThat(git.branch()).isEqualTo("main");
    assertThat(git.timeout()).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void theDefaultOfAOneOfPairStandsOnlyWhenNeitherIsWritten() throws Exception {
    GitSourceConfig neither = load("allowlist:\n  git: {url: x}\n").allowlist().git().orElseThrow();
    assertThat(neither.interval()).contains(AllowListConfig.DEFAULT_SOURCE_INTERVAL);
    assertThat(AllowListConfig.DEFAULT_SOURCE_INTERVAL).isEqualTo(Duration.ofMinutes(5));
    GitSourceConfig cron =
        load("allowlist:\n  git: {url: x, cron: \"0 0 * * * ?\"}\n").allowlist().git().orElseThrow();
    assertThat(cron.interval()).isEmpty();
    assertThat(cron.cron()).contains("0 0 * * * ?");
    GitSourceConfig interval =
        load("allowlist:\n  git: {url: x, interval: 1m}\n").allowlist().git().orElseThrow();
    assertThat(interval.interval()).contains(Duration.ofMinutes(1));
    assertThat(interval.cron()).isEmpty();
  }

  @Test
  void routesAreBoundInFileOrder() throws Exception {
    EdgeProxyConfig c =
        load(POOL + "routes:\n  - {hosts: a.example.com, backend: p}\n  - {hosts: [\"*.b.example.com\"], backend: p}\n");
    assertThat(c.routes())
        .containsExactly(
            new RouteConfig(List.of(HostPattern.parse("a.example.com")), "p"),
            new RouteConfig(List.of(HostPattern.parse("*.b.example.com")), "p"));
  }

  @Test
  void theNodeNameDefaultsToTheMachinesNameComputedAtLoad() throws Exception {
    assertThat(load("{}\n").node().name()).isEqualTo(new NodeConfig.LocalHostName().get());
    assertThat(load("node: {name: edge-7}\n").node().name()).isEqualTo("edge-7");
  }

  static Stream<Arguments> structureProblems() {
    return Stream.of(
        Arguments.of(
            POOL + "routes: {hosts: [a.com], backend: p}\n",
            List.of("t.yaml:3:9: routes: expected a list of {hosts, backend}, got a map")),
        Arguments.of(
            POOL + "routes:\n  - x\n  -\n  - {hosts: [], backend: p, extra: 1}\n  - {backend: p}\n  - {hosts: b.com}\n",
            List.of(
                "t.yaml:4:5: routes[0]: expected a map, got 'x'",
                "t.yaml:5:4: routes[1]: expected a map, got nothing",
                "t.yaml:6:13: routes[2].hosts: needs at least one host",
                "t.yaml:6:29: routes[2].extra: unknown key (expected one of backend, hosts)",
                "t.yaml:7:5: routes[3].hosts: required",
                "t.yaml:8:5: routes[4].backend: required")),
        Arguments.of(
            "allowlist:\n  file: {}\n  git: {branch: dev}\n",
            List.of("t.yaml:2:9: allowlist.file.path: required", "t.yaml:3:8: allowlist.git.url: required")),
        Arguments.of(
            "allowlist:\n  file: x\n  route53: {hostedZones: [], pointingAt: \"\"}\n",
            List.of(
                "t.yaml:2:9: allowlist.file: expected a map, got 'x'",
                "t.yaml:3:12: allowlist.route53.pointingAt: required",
                "t.yaml:3:26: allowlist.route53.hostedZones: needs at least one value")),
        Arguments.of(
            "allowlist:\n  route53:\n    hostedZones: Z\n    pointingAt: a.b\n    cron: \"0 * * * * ?\"\n    interval: 1m\n",
            List.of("t.yaml:6:15: allowlist.route53.interval: set either interval or cron, not both")));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("structureProblems")
  void structureProblemsAreReportedWhereTheyAreWritten(String yaml, List<String> expected) {
    assertThatThrownBy(() -> load(yaml))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> assertThat(e.problems()).map(ConfigProblem::toString).containsExactlyElementsOf(expected));
  }

  /** A record whose constructor refuses what the binder let through. */
  record Refusing(@Default("x") String value) {
    Refusing {
      throw new IllegalArgumentException("refused");
    }
  }

  record HoldsRefusing(Optional<Refusing> inner) {}

  @Test
  void aRecordRefusedWithoutAProblemToldIsADefectNotSilence() throws Exception {
    ConfigReader reader = new ConfigReader("t.yaml", Map.of(), null);
    YamlTree.Node root = YamlTree.read("inner: {value: y}\n");
    M map = reader.open(root, "", HoldsRefusing.class);
    assertThatThrownBy(() -> RecordBinder.bind(reader, map, HoldsRefusing.class))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("refused");
  }

  record OptionalWithDefault(@Default("1s") Optional<Duration> every) {}

  @Test
  void aDefaultOnAnOptionalOutsideAOneOfPairIsASchemaMistake() {
    assertThatThrownBy(() -> RecordBinder.defaults(OptionalWithDefault.class))
        .hasMessageContaining("@OneOf");
  }
}
