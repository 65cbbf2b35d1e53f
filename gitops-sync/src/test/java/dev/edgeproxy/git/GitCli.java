package dev.edgeproxy.git;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real git command line, isolated from the user's and the system's git configuration
 * (own HOME, no /etc/gitconfig, fixed identity, no signing, no prompts). Reusable by other
 * modules' tests: copy the idea, it has no dependency on the code under test.
 */
final class GitCli {
  private static final long TIMEOUT_SECONDS = 60;
  private static volatile Boolean present;

  private GitCli() {}

  /** True when {@code git --version} runs. */
  static boolean present() {
    Boolean p = present;
    if (p == null) {
      p = probe("git", "--version");
      present = p;
    }
    return p;
  }

  /** Skips the test without git, except under CI=true where a missing tool is a failure. */
  static void assumePresent() {
    assumeTrue(
        present() || "true".equals(System.getenv("CI")),
        "git command line not installed (tests needing it are skipped; CI=true makes them fail)");
  }

  static boolean probe(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The environment every git process here gets; {@code home} replaces the user's HOME. */
  static void isolate(Map<String, String> env, Path home) {
    env.put("HOME", home.toString());
    env.put("XDG_CONFIG_HOME", home.resolve(".config").toString());
    env.put("GIT_CONFIG_NOSYSTEM", "1");
    env.put("GIT_TERMINAL_PROMPT", "0");
    env.put("GIT_AUTHOR_NAME", "Edge Test");
    env.put("GIT_AUTHOR_EMAIL", "edge-test@example.com");
    env.put("GIT_COMMITTER_NAME", "Edge Test");
    env.put("GIT_COMMITTER_EMAIL", "edge-test@example.com");
    env.remove("GIT_DIR");
    env.remove("GIT_WORK_TREE");
  }

  /** Runs {@code git args...} in {@code dir}; returns trimmed stdout, throws on a non-zero exit. */
  static String run(Path home, Path dir, String... args) throws IOException, InterruptedException {
    Files.createDirectories(home);
    List<String> command = new ArrayList<>();
    command.add("git");
    command.add("-c");
    command.add("commit.gpgsign=false");
    command.add("-c");
    command.add("init.defaultBranch=main");
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    isolate(pb.environment(), home);
    Path err = Files.createTempFile(home, "git-stderr", ".txt");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("git " + String.join(" ", args) + " timed out");
    }
    String stderr = Files.readString(err);
    Files.deleteIfExists(err);
    if (p.exitValue() != 0) {
      throw new IOException(
          "git " + String.join(" ", args) + " exited " + p.exitValue() + ": " + stderr.strip());
    }
    return new String(out, StandardCharsets.UTF_8).strip();
  }
}
