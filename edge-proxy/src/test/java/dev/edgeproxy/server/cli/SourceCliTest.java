package dev.edgeproxy.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** validate, check and sync: bounded in time and bytes, and a crash never looks like a meaning. */
class SourceCliTest {
  @TempDir Path dir;

  /** A Git server that accepts and never answers. */
  private static final class SilentServer implements AutoCloseable {
    final ServerSocket socket;
    final List<Socket> held = new CopyOnWriteArrayList<>();

    SilentServer() throws IOException {
      socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread t =
          new Thread(
              () -> {
                while (!socket.isClosed()) {
                  try {
                    held.add(socket.accept());
                  } catch (IOException e) {
                    return;
                  }
                }
              },
              "silent-git");
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws IOException {
      socket.close();
      for (Socket s : held) {
        s.close();
      }
    }
  }

  @Test
  @Timeout(60)
  void syncDryRunIsBoundedAndRemovesItsTemporaryFolder() throws Exception {
    Path tmp = Files.createDirectory(dir.resolve("tmp"));
    String before = System.getProperty("java.io.tmpdir");
    try (SilentServer git = new SilentServer()) {
      Path config = dir.resolve("edge-proxy.yaml");
      Files.writeString(
          config,
          """
          allowlist:
            sourceTimeout: 2s
            git:
              url: "git://127.0.0.1:%d/r.git"
          """
              .formatted(git.socket.getLocalPort()));
      System.setProperty("java.io.tmpdir", tmp.toString());
      long t0 = System.nanoTime();
      int exit = Main.execute("sync", "--dry-run", "-c", config.toString());
      Duration took = Duration.ofNanos(System.nanoTime() - t0);
      assertThat(exit).isEqualTo(1);
      assertThat(took).as("bounded by sourceTimeout, not by the remote").isLessThan(Duration.ofSeconds(15));
      try (Stream<Path> left = Files.list(tmp)) {
        assertThat(left.toList()).as("temporary folder removed").isEmpty();
      }
    } finally {
      System.setProperty("java.io.tmpdir", before);
    }
  }

  @Test
  @Timeout(60)
  void devZeroAsAFileIsRefusedByEveryCommandWithoutCrashing() throws Exception {
    Path config = dir.resolve("edge-proxy.yaml");
    Files.writeString(
        config, "allowlist:\n  stateFile: /dev/zero\n  file:\n    path: /dev/zero\n");
    assertThat(Main.execute("validate", "-c", config.toString())).isEqualTo(1);
    assertThat(Main.execute("check", "-c", config.toString(), "a.example.com"))
        .as("no snapshot, never 3 (refused)")
        .isEqualTo(CheckCommand.NO_SNAPSHOT);
    assertThat(Main.execute("sync", "--dry-run", "-c", config.toString())).isEqualTo(1);
    assertThat(Main.execute("validate", "-c", "/dev/zero")).isEqualTo(1);
  }

  /** A command that fails as a bug would. */
  @picocli.CommandLine.Command(name = "crash")
  static final class Crashing implements java.util.concurrent.Callable<Integer> {
    @Override
    public Integer call() {
      throw new IllegalStateException("a bug");
    }
  }

  @Test
  void aCrashHasItsOwnExitStatusNotOneThatMeansSomething() {
    int exit = Main.commandLine(new Crashing()).execute();
    assertThat(exit).isEqualTo(Main.INTERNAL_ERROR).isNotIn(0, 1, 2, 3);
  }
}
