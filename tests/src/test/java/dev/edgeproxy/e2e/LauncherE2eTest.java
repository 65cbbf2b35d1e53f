package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.ChildProcess;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Ports;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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

    String first = runUntilListeningThenStop(dir, cds, EdgeProxyProcess.jar(), "first", java.path(), pid -> {});
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

    String second =
        runUntilListeningThenStop(dir, cds, EdgeProxyProcess.jar(), "second", java.path(), pid ->
            assertThat(LauncherJavas.mapsOf(pid))
                .as("the JVM's mappings (the archive must be in use)")
                .contains(archive.toString()));
    assertThat(second)
        .doesNotContain("[cds]")
        .doesNotContain("[aot]")
        .doesNotContain(announce)
        .doesNotContain("cannot count its own direct memory");
  }

  /**
   * The role installs edge-proxy-VERSION.jar, points edge-proxy.jar at it, and switches the link before it
   * restarts the running proxy, whose exit then writes the archive. On the fleet's first upgrade the new version
   * started from that archive, which the JVM refused without a word (it was made from the old jar), and no start
   * after it wrote a new one: the new version must get an archive of its own, and use it.
   */
  @Test
  void anUpgradeThroughTheJarLinkGetsAnArchiveOfItsOwn() throws Exception {
    ProxyConfig config = new ProxyConfig().pool("local", "127.0.0.1:9").allow("www.example.test");
    Path dir = EdgeProxyProcess.writeFiles(config);
    Path cds = WorkDirs.create("launcher-upgrade-cds");
    Path install = WorkDirs.create("launcher-upgrade-install");
    Path link = install.resolve("edge-proxy.jar");
    Path v1 = Files.copy(EdgeProxyProcess.jar(), install.resolve("edge-proxy-1.jar"));
    Files.createSymbolicLink(link, v1.getFileName());

    // as site.yml upgrades: the new jar beside the old one and the link switched while v1 runs, then v1 stopped
    runUntilListeningThenStop(dir, cds, link, "v1", pid -> {
      Path v2 = Files.copy(EdgeProxyProcess.jar(), install.resolve("edge-proxy-2.jar"));
      Files.delete(link);
      Files.createSymbolicLink(link, v2.getFileName());
    });
    String first = runUntilListeningThenStop(dir, cds, link, "v2-first", pid -> {});
    assertThat(first).as("v2 has no archive of its own yet: it writes one").contains("class-data archive");
    String[] maps = new String[1];
    runUntilListeningThenStop(dir, cds, link, "v2-second", pid -> maps[0] = Files.readString(Path.of("/proc/" + pid + "/maps")));
    assertThat(maps[0]).as("v2's second start maps an archive from the CDS directory").contains(cds.toString());
  }

  /**
   * The JVM writes the archive as it exits; a node killed meanwhile (systemd's stop timeout, power loss) or a
   * full disk leaves it cut short. Java 17 crashed at start on such an archive (SIGBUS, even with
   * -Xshare:auto), and the launcher offered it again at every start: the node crash-looped. A new archive is
   * now checked once before a run relies on it, and one that fails is written again.
   */
  @Test
  void anArchiveCutShortIsFoundOutAndWrittenAgain() throws Exception {
    archiveCutShortIsFoundOutAndWrittenAgain(LauncherJavas.current());
  }

  /** Java 25 ignored a cut AOT cache without a word, so no later start wrote a whole one. */
  @Test
  void onJava25AnAotCacheCutShortIsFoundOutAndWrittenAgain() throws Exception {
    var java25 = LauncherJavas.java25OrLater();
    org.junit.jupiter.api.Assumptions.assumeTrue(
        java25.isPresent(), "no Java 25+ installed beside this one (-Dedgeproxy.e2e.java25=/path/to/java)");
    archiveCutShortIsFoundOutAndWrittenAgain(java25.get());
  }

  private static void archiveCutShortIsFoundOutAndWrittenAgain(LauncherJavas.Java runtime) throws Exception {
    CutArchive cut = CutArchive.make("cut-" + runtime.feature(), runtime);
    cut.isWrittenAgainAndUsed();
  }

  /** An archive written by a first run and then cut to half its size, in a CDS directory of its own. */
  private record CutArchive(Path dir, Path cds, Path archive, long whole, LauncherJavas.Java runtime) {
    static CutArchive make(String name, LauncherJavas.Java runtime) throws Exception {
      ProxyConfig config = new ProxyConfig().pool("local", "127.0.0.1:9").allow("www.example.test");
      Path dir = EdgeProxyProcess.writeFiles(config);
      Path cds = WorkDirs.create("launcher-" + name + "-cds");
      Path archive = cds.resolve(runtime.feature() >= 25 ? "edge-proxy.aot" : "edge-proxy.jsa");
      runUntilListeningThenStop(dir, cds, EdgeProxyProcess.jar(), name + "-first", runtime.path(), pid -> {});
      await("the archive written at exit").atMost(Duration.ofSeconds(120))
          .until(() -> Files.isRegularFile(archive) && Files.size(archive) > 0
              && !Files.exists(cds.resolve("edge-proxy.aot.config")));
      long whole = Files.size(archive);
      try (FileChannel channel = FileChannel.open(archive, StandardOpenOption.WRITE)) {
        channel.truncate(whole / 2);
      }
      return new CutArchive(dir, cds, archive, whole, runtime);
    }

    /** The next start finds it out and writes it again, and the start after that maps the new one. */
    void isWrittenAgainAndUsed() throws Exception {
      String second = runUntilListeningThenStop(dir, cds, EdgeProxyProcess.jar(), "second", runtime.path(), pid -> {});
      assertThat(second).as("the launcher says why it writes the archive again").contains("stale or unusable");
      await("the archive written again at exit").atMost(Duration.ofSeconds(120))
          .until(() -> Files.isRegularFile(archive) && Files.size(archive) > whole / 2
              && !Files.exists(cds.resolve("edge-proxy.aot.config")));
      runUntilListeningThenStop(dir, cds, EdgeProxyProcess.jar(), "third", runtime.path(), pid ->
          assertThat(LauncherJavas.mapsOf(pid)).as("the rewritten archive is in use").contains(archive.toString()));
    }
  }

  /**
   * A JDK package upgrade (apt: openjdk-17 17.0.15 to 17.0.21.1) keeps the dates of the package's build, older
   * than the archive, and the archive's check was recorded by date only: the launcher kept offering the old
   * archive, which the new JVM ignored without a word (or, cut short, crashed on), start after start. The
   * check records the runtime; an archive checked by another one is checked again, here one this JVM cannot
   * map (cut short, as a stand-in for another build's), which is then written again.
   */
  @Test
  void anArchiveCheckedByAnotherRuntimeIsCheckedAgain() throws Exception {
    CutArchive cut = CutArchive.make("runtime", LauncherJavas.current());
    Path ok = cut.cds().resolve(cut.archive().getFileName() + ".ok");
    // checked, after the archive was written, by the runtime an upgrade replaced
    Files.writeString(ok, "/usr/lib/jvm/java-17-openjdk-amd64/bin/java 17.0.15+6-Debian-1deb12u1\n");
    Files.setLastModifiedTime(ok, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 60_000));

    cut.isWrittenAgainAndUsed();
    assertThat(Files.readString(ok)).as("the check names this runtime").doesNotContain("17.0.15+6");
  }

  @FunctionalInterface
  private interface WhileRunning {
    void run(long pid) throws Exception;
  }


  /** Runs the launcher until the admin port listens, runs {@code whileRunning} with the JVM's pid, stops it. */
  private static String runUntilListeningThenStop(Path dir, Path cds, Path jar, String name, WhileRunning whileRunning)
      throws Exception {
    return runUntilListeningThenStop(dir, cds, jar, name, LauncherJavas.current().path(), whileRunning);
  }

  /** As above, with the launcher's {@code JAVA}. */
  private static String runUntilListeningThenStop(
      Path dir, Path cds, Path jar, String name, String java, WhileRunning whileRunning) throws Exception {
    int admin = adminPort(dir);
    try (ChildProcess proxy =
        ChildProcess.start(
            "launcher-" + name,
            List.of(
                "sh", LAUNCHER.toString(), "run", "--allow-root", "--config",
                dir.resolve("edge-proxy.yaml").toString()),
            dir,
            Map.of(
                "EDGE_PROXY_JAR", jar.toString(),
                "EDGE_PROXY_CDS_DIR", cds.toString(),
                "JAVA", java))) {
      await(name + " run listening")
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                assertThat(proxy.alive()).as(proxy.diagnostics()).isTrue();
                return Ports.listening("127.0.0.1", admin);
              });
      whileRunning.run(proxy.pid());
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
