package dev.edgeproxy.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A long-running child process whose output goes to files in its work directory. */
public final class ChildProcess implements AutoCloseable, Diagnosable {

  private final String name;
  private final List<String> command;
  private final Process process;
  private final Path stdout;
  private final Path stderr;

  private ChildProcess(String name, List<String> command, Process process, Path stdout, Path stderr) {
    this.name = name;
    this.command = command;
    this.process = process;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  public static ChildProcess start(String name, List<String> command, Path dir) {
    return start(name, command, dir, Map.of());
  }

  public static ChildProcess start(String name, List<String> command, Path dir, Map<String, String> env) {
    Path out = dir.resolve(name + ".stdout");
    Path err = dir.resolve(name + ".stderr");
    try {
      // The suite may itself run under nohup, whose ignored SIGHUP a child inherits: the child gets the
      // default back, as under systemd, so that reload by SIGHUP works (a test that wants nohup adds it).
      List<String> withDefaultHup = new ArrayList<>(List.of("env", "--default-signal=HUP"));
      withDefaultHup.addAll(command);
      ProcessBuilder builder = new ProcessBuilder(withDefaultHup)
          .directory(dir.toFile())
          .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile());
      builder.environment().putAll(env);
      return new ChildProcess(name, List.copyOf(command), builder.start(), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command, e);
    }
  }

  public boolean alive() {
    return process.isAlive();
  }

  public long pid() {
    return process.pid();
  }

  public String stdout() {
    return read(stdout);
  }

  public String stderr() {
    return read(stderr);
  }

  /**
   * Sends SIGTERM ({@link Process#destroy()} on Unix) and waits for the exit status.
   *
   * @throws AssertionError when it does not exit in time (it is then killed)
   */
  public int terminate(Duration timeout) {
    process.destroy();
    try {
      if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        return process.exitValue();
      }
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new AssertionError(name + " did not exit within " + timeout + " of SIGTERM\n" + diagnostics());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IllegalStateException("interrupted while stopping " + name, e);
    }
  }

  /** Exit status if it has already ended. */
  public Integer exitValueIfDone() {
    return process.isAlive() ? null : process.exitValue();
  }

  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  @Override
  public String diagnostics() {
    return "=== " + name + " (pid " + process.pid() + ", " + (process.isAlive() ? "running" : "exit " + process.exitValue())
        + ") " + command + "\n--- stdout (" + stdout + ") ---\n" + tail(read(stdout), 150)
        + "\n--- stderr (" + stderr + ") ---\n" + tail(read(stderr), 150);
  }

  static String tail(String text, int lines) {
    String[] all = text.split("\n", -1);
    if (all.length <= lines) {
      return text;
    }
    return "[... " + (all.length - lines) + " lines before ...]\n"
        + String.join("\n", List.of(all).subList(all.length - lines, all.length));
  }

  static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "<cannot read " + file + ": " + e + ">";
    }
  }
}
