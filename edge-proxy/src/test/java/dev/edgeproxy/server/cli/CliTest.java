package dev.edgeproxy.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.allowlist.AllowListFileParser;
import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.allowlist.SnapshotStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line as an operator meets it: help, version, and what check says. */
class CliTest {
  @TempDir Path dir;

  /** Exit status and standard output of one command. */
  record Run(int exit, String out, String err) {}

  static synchronized Run run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int exit = Main.execute(args);
      return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"run", "quickstart", "validate", "check", "sync"})
  void everySubcommandAnswersHelp(String command) {
    Run r = run(command, "--help");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("Usage: edge-proxy " + command);
    assertThat(r.err()).isEmpty();
  }

  /** Every command that reads {@code --config} (the one mixin) reports its problems and exits 1. */
  @ParameterizedTest
  @ValueSource(strings = {"run --allow-root", "validate", "check x.example.test", "sync --dry-run"})
  void aConfigurationWithProblemsExitsOneInEveryCommandThatReadsIt(String command) {
    String missing = dir.resolve("missing.yaml").toString();
    List<String> args = new ArrayList<>(List.of(command.split(" ")));
    args.addAll(List.of("-c", missing));

    Run r = run(args.toArray(String[]::new));

    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(ConfigFileOption.BAD_CONFIG);
    assertThat(r.out() + r.err()).contains(missing + ":1:1: file does not exist");
  }

  @Test
  void everySubcommandTakesTheConfigurationFileButQuickstart() {
    for (String command : List.of("run", "validate", "check", "sync")) {
      assertThat(run(command, "--help").out())
          .as(command)
          .contains("-c, --config=<config>")
          .contains(ConfigFileOption.DEFAULT_CONFIG);
    }
    assertThat(run("quickstart", "--help").out()).doesNotContain("--config");
  }

  @Test
  void topLevelSummariesAreWholeSentences() {
    Run r = run("--help");

    List<String> commandLines =
        r.out().lines().dropWhile(l -> !l.startsWith("Commands:")).skip(1).filter(l -> !l.isBlank()).toList();
    assertThat(commandLines).hasSizeGreaterThanOrEqualTo(6);
    for (String line : commandLines) {
      // "  check       Explains the decision ... snapshot." : one line each, ending a sentence
      assertThat(line).as("summary line").matches("^  \\S+\\s+[A-Z].*\\.$");
    }
  }

  @Test
  void versionNamesTheCommit() {
    Run r = run("--version");

    assertThat(r.exit()).isZero();
    assertThat(r.out()).containsPattern("edge-proxy \\S+ \\(commit ([0-9a-f]{40}(-dirty)?|unknown)\\)");
    assertThat(run("check", "--version").out()).isEqualTo(r.out());
  }

  @Test
  void commitIsUnknownWhenTheBuildHadNoGitFolder() {
    Properties unfiltered = new Properties();
    unfiltered.setProperty("commit", "${git.commit.id}");
    unfiltered.setProperty("dirty", "${git.dirty}");
    Properties filtered = new Properties();
    filtered.setProperty("commit", "56b9726b53c4fdc94635157cc9427f579f3c9d87");
    filtered.setProperty("dirty", "false");

    assertThat(Main.commit(unfiltered)).isEqualTo("unknown");
    assertThat(Main.commit(new Properties())).isEqualTo("unknown");
    assertThat(Main.commit(filtered)).isEqualTo("56b9726b53c4fdc94635157cc9427f579f3c9d87");
  }

  @Test
  void checkNamesTheEntryThatDecidedAsWritten() throws Exception {
    Path config = savedSnapshot(
        """
        allow:
          - www.example.test
          - "*.apps.example.test"
          - x.internal.example.test
        deny:
          - "*.internal.example.test"
        """);

    Run wildcard = run("check", "--config", config.toString(), "x.apps.example.test");
    Run denied = run("check", "--config", config.toString(), "x.internal.example.test");

    assertThat(wildcard.exit()).as(wildcard.out() + wildcard.err()).isZero();
    assertThat(wildcard.out()).contains("allowed by *.apps.example.test (file allowlist.yaml line 3)");
    assertThat(denied.exit()).isEqualTo(CheckCommand.REFUSED);
    assertThat(denied.out())
        .contains("denied by *.internal.example.test (file allowlist.yaml line 6)")
        .contains("also allowed by x.internal.example.test (file allowlist.yaml line 4)");
  }

  @Test
  void quickstartWritesAConfigurationThatValidatesWithADemoSyncToken() throws Exception {
    Path work = dir.resolve("quick \"start\"");
    Files.createDirectories(work);
    Files.writeString(work.resolve("allowlist.yaml"), "allow:\n  - demo.localhost\n");

    Path config = QuickstartCommand.writeConfig(work, Map.of(
        "QUICKSTART_DIR", work.toString(),
        "QUICKSTART_TLS_PORT", "18443",
        "QUICKSTART_ADMIN_PORT", "19901",
        "QUICKSTART_BACKEND_PORT", "19443"));

    assertThat(config).isEqualTo(work.resolve("edge-proxy.yaml"));
    Run validate = run("validate", "--config", config.toString());
    assertThat(validate.out().strip()).as(validate.err()).isEqualTo("OK");
    var loaded = dev.edgeproxy.config.ConfigLoader.load(config);
    assertThat(loaded.listeners().admin().syncToken()).contains(QuickstartCommand.DEMO_SYNC_TOKEN);
    assertThat(loaded.allowlist().stateFile()).contains(work.resolve("allowlist-state.json"));
  }

  private Path savedSnapshot(String allowList) throws Exception {
    Path state = dir.resolve("state.json");
    AllowListSnapshot snapshot =
        AllowListSnapshot.build(
            List.of(), Map.of("file", AllowListFileParser.parse(allowList, "file", "allowlist.yaml")));
    SnapshotStore.save(snapshot, state);
    Path config = dir.resolve("edge-proxy.yaml");
    Files.writeString(
        config,
        """
        listeners:
          tls:
            bind: "127.0.0.1:8443"
        backends:
          web:
            tls: ["127.0.0.1:9443"]
        defaultBackend: web
        allowlist:
          stateFile: "%s"
        """
            .formatted(state));
    return config;
  }
}
