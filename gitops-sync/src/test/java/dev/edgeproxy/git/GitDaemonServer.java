package dev.edgeproxy.git;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** {@code git daemon} on 127.0.0.1, serving every repository under a base path over git://. */
final class GitDaemonServer implements AutoCloseable {
  private final Process process;
  private final int port;

  private GitDaemonServer(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  static GitDaemonServer start(Path basePath, Path home) throws IOException, InterruptedException {
    int port = TestPorts.freePort();
    ProcessBuilder pb =
        new ProcessBuilder(
                "git",
                "daemon",
                "--reuseaddr",
                "--listen=127.0.0.1",
                "--port=" + port,
                "--export-all",
                "--informative-errors",
                "--base-path=" + basePath,
                basePath.toString())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(home.resolve("git-daemon.log").toFile());
    java.nio.file.Files.createDirectories(home);
    GitCli.isolate(pb.environment(), home);
    Process p = pb.start();
    try {
      TestPorts.awaitListening(port, p, 10_000);
    } catch (IOException | InterruptedException e) {
      p.destroyForcibly();
      throw e;
    }
    return new GitDaemonServer(p, port);
  }

  /** {@code git://127.0.0.1:PORT/<name>} */
  String url(String repoName) {
    return "git://127.0.0.1:" + port + "/" + repoName;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
