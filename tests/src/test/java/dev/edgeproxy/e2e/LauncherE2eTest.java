package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.ChildProcess;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Ports;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The launcher the Ansible role installs: its first {@code run} writes the AppCDS archive without
 * flooding the journal (it wrote several hundred {@code [warning][cds]} lines), and the next start
 * uses the archive.
 */
class LauncherE2eTest {
  static final Path LAUNCHER =
      Path.of(System.getProperty("user.dir")).resolveSibling("edge-proxy/src/main/dist/edge-proxy");

  @Test
  void firstRunWritesTheArchiveWithOneLineAndTheNextStartUsesIt() throws Exception {
    ProxyConfig config = new ProxyConfig().pool("local", "127.0.0.1:9").allow("www.example.test");
    Path dir = EdgeProxyProcess.writeFiles(config);
    Path cds = WorkDirs.create("launcher-cds");
    Path archive = cds.resolve("edge-proxy.jsa");

    String first = runUntilListeningThenStop(dir, cds, "first");
    assertThat(archive).isRegularFile();
    assertThat(first.lines().filter(l -> l.contains("[cds]")).toList())
        .as("CDS warnings in the first run's output")
        .isEmpty();
    assertThat(first.lines().filter(l -> l.contains("class-data archive")).count()).isEqualTo(1);

    String second = runUntilListeningThenStop(dir, cds, "second");
    assertThat(second).doesNotContain("[cds]").doesNotContain("class-data archive");
  }

  private static String runUntilListeningThenStop(Path dir, Path cds, String name) {
    String java =
        ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    int admin = adminPort(dir);
    try (ChildProcess proxy =
        ChildProcess.start(
            "launcher-" + name,
            List.of(
                "sh", LAUNCHER.toString(), "run", "--allow-root", "--config",
                dir.resolve("edge-proxy.yaml").toString()),
            dir,
            Map.of(
                "EDGE_PROXY_JAR", EdgeProxyProcess.jar().toString(),
                "EDGE_PROXY_CDS_DIR", cds.toString(),
                "JAVA", java))) {
      await(name + " run listening")
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                assertThat(proxy.alive()).as(proxy.diagnostics()).isTrue();
                return Ports.listening("127.0.0.1", admin);
              });
      assertThat(proxy.terminate(Duration.ofSeconds(60))).as(proxy.diagnostics()).isZero();
      return proxy.stdout() + "\n" + proxy.stderr();
    }
  }

  private static int adminPort(Path dir) {
    try {
      String yaml = Files.readString(dir.resolve("edge-proxy.yaml"));
      var m = java.util.regex.Pattern.compile("admin:\\s+bind: \"127\\.0\\.0\\.1:(\\d+)\"").matcher(yaml);
      assertThat(m.find()).as("admin bind in\n%s", yaml).isTrue();
      return Integer.parseInt(m.group(1));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
