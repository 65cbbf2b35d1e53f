package dev.edgeproxy.e2e.support;

import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** {@code git daemon} serving a directory of bare repositories over git:// on 127.0.0.1. */
public final class GitDaemon implements AutoCloseable, Diagnosable {

  private final int port;
  private final ChildProcess process;

  private GitDaemon(int port, ChildProcess process) {
    this.port = port;
    this.process = process;
  }

  public static GitDaemon serve(Path baseDirectory) {
    Tools.require("git");
    int port = Ports.free();
    Path dir = WorkDirs.create("git-daemon");
    ChildProcess process = ChildProcess.start("git-daemon", List.of(Tools.path("git"), "daemon", "--reuseaddr",
        "--listen=127.0.0.1", "--port=" + port, "--export-all", "--base-path=" + baseDirectory,
        "--informative-errors", baseDirectory.toString()), dir);
    GitDaemon daemon = new GitDaemon(port, process);
    try {
      await("git daemon listening on " + port).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
          .until(() -> {
            if (!process.alive()) {
              throw new IllegalStateException("git daemon exited\n" + daemon.diagnostics());
            }
            return Ports.listening("127.0.0.1", port);
          });
    } catch (RuntimeException | AssertionError e) {
      daemon.close();
      throw e;
    }
    return daemon;
  }

  /** {@code git://127.0.0.1:PORT/<repository>} */
  public String url(String repository) {
    return "git://127.0.0.1:" + port + "/" + repository;
  }

  @Override
  public String diagnostics() {
    return process.diagnostics();
  }

  @Override
  public void close() {
    process.close();
  }
}
