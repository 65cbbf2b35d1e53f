package dev.edgeproxy.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code run} refuses root unless {@code --allow-root}; the checks do not; the loopback-only
 * quickstart warns (QuickstartE2eTest runs it as root, as CI does).
 */
class RootGuardTest {
  @TempDir Path dir;

  @Test
  void refusesRootOnlyWithoutTheFlag() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(err, true, StandardCharsets.UTF_8);
    RootGuard guard = new RootGuard();
    assertThat(guard.refuses(OptionalInt.of(0), out)).isTrue();
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("refusing to run as root").contains("--allow-root");
    assertThat(guard.refuses(OptionalInt.of(1000), out)).isFalse();
    assertThat(guard.refuses(OptionalInt.empty(), out)).isFalse();
    guard.allowRoot = true;
    assertThat(guard.refuses(OptionalInt.of(0), out)).isFalse();
  }

  @Test
  void readsTheEffectiveUidOfThisProcess() {
    assertThat(RootGuard.effectiveUid()).isPresent();
    String user = System.getProperty("user.name");
    assertThat(RootGuard.effectiveUid().getAsInt() == 0).isEqualTo("root".equals(user));
  }

  /** This process's uid decides what to expect; the test machine and CI run as root. */
  @Test
  void runRefusesRootAndTheChecksDoNot() {
    boolean root = RootGuard.effectiveUid().orElse(-1) == 0;
    String missing = dir.resolve("missing.yaml").toString();

    Outcome run = execute("run", "--config", missing);
    assertThat(run.exit).isEqualTo(RootGuard.REFUSED);
    assertThat(run.err).contains(root ? "refusing to run as root" : "file does not exist");

    Outcome allowed = execute("run", "--allow-root", "--config", missing);
    assertThat(allowed.err).doesNotContain("refusing to run as root").contains("file does not exist");

    Outcome validate = execute("validate", "--config", missing);
    assertThat(validate.err).doesNotContain("refusing to run as root").contains("file does not exist");
  }

  /** @param err what the command printed, standard output and error together */
  private record Outcome(int exit, String err) {}

  private static Outcome execute(String... args) {
    PrintStream savedErr = System.err;
    PrintStream savedOut = System.out;
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8);
    System.setErr(capture);
    System.setOut(capture);
    try {
      int exit = Main.execute(args);
      return new Outcome(exit, printed.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(savedErr);
      System.setOut(savedOut);
    }
  }
}
