package dev.edgeproxy.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short-lived command to completion with a hard time limit; output goes through files, never pipes that can fill up. */
public final class Exec {

  /** What a finished command left behind. */
  public record Result(List<String> command, int exitCode, String stdout, String stderr) {
    public String describe() {
      return "command " + command + " exited " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }
  }

  private Exec() {}

  public static Result run(List<String> command, Duration timeout) {
    return run(command, null, timeout);
  }

  /** Runs {@code command} with {@code stdin} (may be null: empty input) and kills it if it outlives {@code timeout}. */
  public static Result run(List<String> command, String stdin, Duration timeout) {
    try {
      Path dir = Files.createTempDirectory("e2e-exec");
      Path in = dir.resolve("stdin");
      Path out = dir.resolve("stdout");
      Path err = dir.resolve("stderr");
      Files.writeString(in, stdin == null ? "" : stdin, StandardCharsets.UTF_8);
      Process process = new ProcessBuilder(command)
          .redirectInput(in.toFile())
          .redirectOutput(out.toFile())
          .redirectError(err.toFile())
          .start();
      try {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          throw new AssertionError("command did not finish within " + timeout + ": " + command
              + "\n--- stdout ---\n" + Files.readString(out) + "\n--- stderr ---\n" + Files.readString(err));
        }
        return new Result(List.copyOf(command), process.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(in);
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
        Files.deleteIfExists(dir);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + command, e);
    }
  }
}
