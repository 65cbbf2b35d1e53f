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
 * The launcher the Ansible role installs: its first {@code run} writes the class archive without
 * flooding the journal (it wrote several hundred {@code [warning][cds]} lines), and the next start
 * maps it. On Java 17-24 that is an AppCDS archive; on Java 25+ an AOT cache with method profiles
 * (JEPs 483/514/515), with compact object headers (JEP 519). Runs on the test's own Java and on
 * every Java 25+ installed beside it under the JVM folder (or named by {@code -Dedgeproxy.e2e.java25}).
 */
class LauncherE2eTest {
  static final Path LAUNCHER =
      Path.of(System.getProperty("user.dir")).resolveSibling("edge-proxy/src/main/dist/edge-proxy");

  @Test
  void onTheTestsJavaTheFirstRunWritesTheArchiveWithOneLineAndTheNextStartUsesIt() throws Exception {
    firstRunWritesTheArchiveAndTheNextStartMapsIt(LauncherJavas.current());
  }

  @Test
  void onJava25TheFirstRunWritesAnAotCacheAndTheNextStartMapsIt() throws Exception {
    var java25 = LauncherJavas.java25OrLater();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        java25.isPresent(), "no Java 25+ installed beside this one (-Dedgeproxy.e2e.java25=/path/to/java)");
    firstRunWritesTheArchiveAndTheNextStartMapsIt(java25.get());
  }

  private static void firstRunWritesTheArchiveAndTheNextStartMapsIt(LauncherJavas.Java java)
      throws Exception {
    ProxyConfig config = new ProxyConfig().pool("local", "127.0.0.1:9").allow("www.example.test");
    Path dir = EdgeProxyProcess.writeFiles(config);
    Path cds = WorkDirs.create("launcher-cds");
    boolean aot = java.feature() >= 25;
    Path archive = cds.resolve(aot ? "edge-proxy.aot" : "edge-proxy.jsa");
    String announce =
        "edge-proxy: writing the " + (aot ? "AOT cache" : "class-data archive"); // the launcher's one line

    String first = runUntilListeningThenStop(dir, cds, "first", java.path(), null);
    await("the archive written at exit")
        .atMost(Duration.ofSeconds(120))
        .until(() -> Files.isRegularFile(archive) && Files.size(archive) > 0
            && !Files.exists(cds.resolve("edge-proxy.aot.config")));
    assertThat(first.lines().filter(l -> l.contains("[cds]") || l.contains("[aot]")).toList())
        .as("CDS/AOT warnings in the first run's output")
        .isEmpty();
    assertThat(first.lines().filter(l -> l.contains("WARNING")).toList())
        .as("JVM warnings (native access, Unsafe) in the first run's output")
        .isEmpty();
    assertThat(first.lines().filter(l -> l.contains(announce)).count()).isEqualTo(1);

    String second = runUntilListeningThenStop(dir, cds, "second", java.path(), archive);
    assertThat(second)
        .doesNotContain("[cds]")
        .doesNotContain("[aot]")
        .doesNotContain(announce)
        .doesNotContain("cannot count its own direct memory");
  }

  /** Runs the launcher until the admin port listens; when {@code mapped} is set, checks the JVM maps it. */
  private static String runUntilListeningThenStop(
      Path dir, Path cds, String name, String java, Path mapped) throws Exception {
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
      if (mapped != null) {
        assertThat(LauncherJavas.mapsOf(proxy.pid()))
            .as("the JVM's mappings (the archive must be in use)")
            .contains(mapped.toString());
      }
      assertThat(proxy.terminate(Duration.ofSeconds(180))).as(proxy.diagnostics()).isZero();
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
