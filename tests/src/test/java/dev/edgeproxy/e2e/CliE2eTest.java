package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The short-lived commands of the jar: validate and check, with their output and exit codes. */
class CliE2eTest {

  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);

  @RegisterExtension final DumpOnFailure dump = new DumpOnFailure();

  private static ProxyConfig config() {
    // validate and check never connect anywhere: a closed port is a fine endpoint
    return new ProxyConfig()
        .pool("nginx", "127.0.0.1:9")
        .allow("www.example.test", "*.apps.example.test", "blocked.example.test")
        .deny("blocked.example.test");
  }

  @Test
  void helpExitsZero() {
    Exec.Result help = EdgeProxyProcess.cli(CLI_TIMEOUT, "--help");

    assertThat(help.exitCode()).as(help.describe()).isZero();
    assertThat(help.stdout()).as(help.describe()).contains("run").contains("validate").contains("check");
  }

  @Test
  void everyCommandAnswersHelpAndTheVersionNamesTheCommit() {
    for (String command : List.of("run", "quickstart", "validate", "check", "sync")) {
      Exec.Result help = EdgeProxyProcess.cli(CLI_TIMEOUT, command, "--help");
      assertThat(help.exitCode()).as(help.describe()).isZero();
      assertThat(help.stdout()).as(help.describe()).contains("Usage: edge-proxy " + command);
    }
    Exec.Result version = EdgeProxyProcess.cli(CLI_TIMEOUT, "--version");
    assertThat(version.exitCode()).as(version.describe()).isZero();
    // built from a git checkout (a fresh clone in CI): the full commit id
    assertThat(version.stdout()).as(version.describe()).containsPattern("\\(commit [0-9a-f]{40}(-dirty)?\\)");
  }

  @Test
  void validateAcceptsAGoodConfig() {
    Path dir = EdgeProxyProcess.writeFiles(config());

    Exec.Result result = validate(dir.resolve("edge-proxy.yaml"));

    assertThat(result.exitCode()).as(result.describe()).isZero();
    assertThat(result.stdout().strip()).as(result.describe()).isEqualTo("OK");
  }

  @Test
  void validatePointsAtTheBadValueInTheConfig() throws IOException {
    Path dir = EdgeProxyProcess.writeFiles(config());
    Path file = dir.resolve("edge-proxy.yaml");
    Files.writeString(file, Files.readString(file).replace("clientHelloTimeout: 2s", "clientHelloTimeout: soon"));

    Exec.Result result = validate(file);

    assertThat(result.exitCode()).as(result.describe()).isEqualTo(1);
    assertProblemAt(result, file, "clientHelloTimeout:", "soon");
  }

  @Test
  void validatePointsAtTheBadHostInTheAllowListFile() throws IOException {
    Path dir = EdgeProxyProcess.writeFiles(config());
    Path allowList = dir.resolve("allowlist.yaml");
    Files.writeString(allowList, Files.readString(allowList).replace("\"www.example.test\"", "\"bad_host!.example.test\""));

    Exec.Result result = validate(dir.resolve("edge-proxy.yaml"));

    assertThat(result.exitCode()).as(result.describe()).isEqualTo(1);
    assertProblemAt(result, allowList, "- ", "\"bad_host!.example.test\"");
  }

  @Test
  void validateReportsEveryProblemOnALineOfItsOwn() throws IOException {
    Path dir = EdgeProxyProcess.writeFiles(config());
    Path file = dir.resolve("edge-proxy.yaml");
    Files.writeString(file, Files.readString(file)
        .replace("clientHelloTimeout: 2s", "clientHelloTimeout: soon")
        .replace("maxClientHelloBytes: 16384", "maxClientHelloBytes: lots"));

    Exec.Result result = validate(file);

    assertThat(result.exitCode()).as(result.describe()).isEqualTo(1);
    assertProblemAt(result, file, "clientHelloTimeout:", "soon");
    assertProblemAt(result, file, "maxClientHelloBytes:", "lots");
  }

  @Test
  void checkWithoutASavedSnapshotExits2() {
    Path dir = EdgeProxyProcess.writeFiles(config());

    Exec.Result result = check(dir.resolve("edge-proxy.yaml"), "www.example.test");

    assertThat(result.exitCode()).as(result.describe()).isEqualTo(2);
    assertThat(result.stdout() + result.stderr()).as(result.describe()).isNotBlank();
  }

  @Test
  void checkExplainsDecisionsFromTheSnapshotARunSaved() throws IOException {
    Tools.require("nginx");
    Path configFile;
    Path allowList;
    try (NginxBackend nginx = dump.watch(NginxBackend.start());
        EdgeProxyProcess proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
            .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
            .allow("www.example.test", "*.apps.example.test", "blocked.example.test")
            .deny("blocked.example.test")))) {
      await("allow-list snapshot saved").atMost(Duration.ofSeconds(15)).until(() -> Files.isRegularFile(proxy.stateFile()));
      configFile = proxy.configFile();
      allowList = proxy.allowListFile();
      proxy.stop();
    }

    Exec.Result allowed = check(configFile, "www.example.test");
    Exec.Result wildcard = check(configFile, "x.apps.example.test");
    Exec.Result denied = check(configFile, "blocked.example.test");
    Exec.Result unknown = check(configFile, "nobody.example.test");

    assertThat(allowed.exitCode()).as(allowed.describe()).isZero();
    // it names the source entry (the local file) and the pool
    assertThat(allowed.stdout()).as(allowed.describe())
        .contains("allowlist.yaml line " + lineOf(allowList, "www.example.test")).contains("nginx");
    assertThat(wildcard.exitCode()).as(wildcard.describe()).isZero();
    // the entry as written, then where it is
    assertThat(wildcard.stdout()).as(wildcard.describe())
        .containsPattern("allowed by \\*\\.apps\\.example\\.test \\(file \\S*allowlist\\.yaml line "
            + lineOf(allowList, "*.apps.example.test") + "\\)");
    assertThat(denied.exitCode()).as(denied.describe()).isEqualTo(3);
    assertThat(denied.stdout()).as(denied.describe()).containsIgnoringCase("den");
    assertThat(unknown.exitCode()).as(unknown.describe()).isEqualTo(3);
  }

  /** 1-based number of the first line of {@code file} that mentions {@code text}. */
  private static int lineOf(Path file, String text) throws IOException {
    List<String> lines = Files.readAllLines(file);
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(text)) {
        return i + 1;
      }
    }
    throw new AssertionError(text + " not in " + file);
  }

  private static Exec.Result validate(Path configFile) {
    return EdgeProxyProcess.cli(CLI_TIMEOUT, "validate", "--config", configFile.toString());
  }

  private static Exec.Result check(Path configFile, String host) {
    return EdgeProxyProcess.cli(CLI_TIMEOUT, "check", "--config", configFile.toString(), host);
  }

  /**
   * Asserts a {@code FILE:LINE:COLUMN: message} line for {@code file} at the line holding {@code key} and
   * {@code value}, with the column (counted from 1) at the value or at the start of its key.
   */
  private static void assertProblemAt(Exec.Result result, Path file, String key, String value) throws IOException {
    List<String> lines = Files.readAllLines(file);
    int lineNumber = 0;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(key + value) || lines.get(i).contains(key + " " + value)) {
        lineNumber = i + 1;
        break;
      }
    }
    assertThat(lineNumber).as("%s%s in %s", key, value, file).isPositive();
    String text = lines.get(lineNumber - 1);
    int valueColumn = text.indexOf(value) + 1;
    int keyColumn = text.indexOf(key) + 1;
    Pattern problem = Pattern.compile("^" + Pattern.quote(file.toString()) + ":(\\d+):(\\d+): (.+)$", Pattern.MULTILINE);
    Matcher matcher = problem.matcher(result.stdout() + result.stderr());
    boolean found = false;
    while (matcher.find()) {
      if (Integer.parseInt(matcher.group(1)) == lineNumber) {
        assertThat(Integer.parseInt(matcher.group(2))).as("column of %s in %s", matcher.group(), result.describe())
            .isIn(valueColumn, keyColumn);
        assertThat(matcher.group(3)).isNotBlank();
        found = true;
      }
    }
    assertThat(found).as("a problem line %s:%d:COLUMN: ... in\n%s", file, lineNumber, result.describe()).isTrue();
  }
}
