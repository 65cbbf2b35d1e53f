package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.ProxyChecks;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.PrometheusText;
import dev.edgeproxy.e2e.support.StubBackend;
import dev.edgeproxy.e2e.support.Tools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The allow-list state file's directory under the running jar made full (a 64 KiB tmpfs, private to the jar's mount
 * namespace, then a list that does not fit) and read-only (remounted from outside with nsenter), and a corrupt state
 * file at start. Bound, as README's "State file failures" says: serving goes on with every change (a host added while
 * the save fails is forwarded at once); the failure is in {@code /status snapshot.saveFailure}, in {@code
 * edge_allowlist_state_save_failing} and in the log; the save is retried and the failure clears within
 * {@value #RECOVERY_SECONDS} s of the directory being usable again. A corrupt file at start is ignored with a warning
 * and the node serves what its sources say.
 */
class StateFileFaultsE2eTest {

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  static final int RECOVERY_SECONDS = 25;
  static final String STATE_DIR = "state";

  @Test
  void aFullOrReadOnlyStateDirectoryIsReportedWhileServingGoesOn(TestReporter reporter) throws Exception {
    Tools.require("unshare", "nsenter", "mount");
    Tools.requireThat("root".equals(System.getProperty("user.name")), "root, for a mount namespace of the jar's own");
    try (StubBackend backend = dump.watch(StubBackend.pouring(1024, 0))) {
      ProxyConfig config = new ProxyConfig()
          .pool(new ProxyConfig.Pool("web", List.of("127.0.0.1:" + backend.port()), "none", null))
          .allow("first.example.test")
          .maxShrink("100%")
          .stateDirectory(STATE_DIR);
      EdgeProxyProcess proxy = dump.watch(EdgeProxyProcess.startWrapped(config,
          List.of("unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k edge-state \"$PWD/" + STATE_DIR
              + "\" && exec \"$0\" \"$@\""),
          dir -> { }));
      List<String> figures = new ArrayList<>();
      try {
        assertThat(saveFailure(proxy).isNull()).as("saved at start").isTrue();

        List<String> many = IntStream.range(0, 3000).mapToObj(i -> "host" + i + ".example.test").toList();
        proxy.rewriteAllowList(many, List.of());
        JsonNode full = awaitSaveFailure(proxy);
        assertForwarded(proxy, "host2999.example.test");
        figures.add("disk full: saveFailure " + full + ", metric " + failingMetric(proxy));
        assertThat(failingMetric(proxy)).isEqualTo(1);
        assertThat(proxy.logLines()).anyMatch(l -> l.contains("cannot save allow-list state"));

        mount(proxy, "remount,size=8m");
        awaitSaved(proxy);
        figures.add("after the tmpfs grew: saveFailure null, metric " + failingMetric(proxy));

        mount(proxy, "remount,ro");
        proxy.rewriteAllowList(List.of("first.example.test", "second.example.test"), List.of());
        JsonNode readOnly = awaitSaveFailure(proxy);
        assertForwarded(proxy, "second.example.test");
        figures.add("read-only: saveFailure " + readOnly);
        assertThat(readOnly.toString()).contains("Read-only");

        mount(proxy, "remount,rw");
        awaitSaved(proxy);
        figures.add("after remount rw: saved, metric " + failingMetric(proxy));
        assertThat(proxy.alive()).isTrue();
      } finally {
        String report = "state file faults:\n  " + String.join("\n  ", figures);
        System.out.println(report);
        reporter.publishEntry("state file", report);
        proxy.stop();
      }
    }
  }

  @Test
  void aCorruptStateFileAtStartIsIgnoredWithAWarning(TestReporter reporter) throws Exception {
    try (StubBackend backend = dump.watch(StubBackend.pouring(1024, 0))) {
      ProxyConfig config = new ProxyConfig()
          .pool(new ProxyConfig.Pool("web", List.of("127.0.0.1:" + backend.port()), "none", null))
          .allow("first.example.test");
      EdgeProxyProcess proxy = dump.watch(EdgeProxyProcess.startWrapped(config, List.of(), dir -> {
        try {
          Files.writeString(dir.resolve(config.stateFileName()), "{\"version\": 7, \"sources\": [garbage");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }));
      try {
        assertForwarded(proxy, "first.example.test");
        List<String> warnings = proxy.logLines().stream().filter(l -> l.contains("state file")).toList();
        String report = "corrupt state file at start: ready, serving from its sources; log " + warnings;
        System.out.println(report);
        reporter.publishEntry("corrupt state file", report);
        assertThat(warnings).anyMatch(l -> l.contains("ignored") && l.contains("corrupt"));
        assertThat(ProxyChecks.status(proxy).path("snapshot").path("restoredSavedAt").isNull()).isTrue();
      } finally {
        proxy.stop();
      }
    }
  }

  static JsonNode saveFailure(EdgeProxyProcess proxy) throws Exception {
    return ProxyChecks.status(proxy).path("snapshot").path("saveFailure");
  }

  static JsonNode awaitSaveFailure(EdgeProxyProcess proxy) {
    return await("snapshot.saveFailure set").atMost(Duration.ofSeconds(RECOVERY_SECONDS))
        .pollInterval(Duration.ofMillis(250)).until(() -> saveFailure(proxy), f -> f.isObject());
  }

  static void awaitSaved(EdgeProxyProcess proxy) {
    await("snapshot.saveFailure cleared").atMost(Duration.ofSeconds(RECOVERY_SECONDS))
        .pollInterval(Duration.ofMillis(250)).until(() -> saveFailure(proxy).isNull() && failingMetric(proxy) == 0);
  }

  static long failingMetric(EdgeProxyProcess proxy) throws Exception {
    return (long) PrometheusText.sum(ProxyChecks.metrics(proxy), "edge_allowlist_state_save_failing", "");
  }

  /** Remounts the state directory's tmpfs inside the jar's own mount namespace. */
  static void mount(EdgeProxyProcess proxy, String options) {
    Path dir = proxy.stateFile().getParent();
    Exec.Result r = Exec.run(List.of("nsenter", "-t", Long.toString(proxy.pid()), "-m", "mount", "-o", options,
        dir.toString()), Duration.ofSeconds(10));
    assertThat(r.exitCode()).as(r.describe()).isZero();
  }

  /** The host's hello reaches the backend, whose answer comes back. */
  static void assertForwarded(EdgeProxyProcess proxy, String host) throws Exception {
    await(host + " forwarded").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(250))
        .ignoreExceptions().untilAsserted(() -> {
          try (Socket socket = SlowTransferE2eTest.open(proxy, host)) {
            socket.setSoTimeout(5_000);
            assertThat(socket.getInputStream().readNBytes(1024)).hasSize(1024);
          }
        });
  }
}
