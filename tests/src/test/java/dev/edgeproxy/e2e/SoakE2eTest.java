package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.ChildProcess;
import dev.edgeproxy.e2e.support.CliClients;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.Ports;
import dev.edgeproxy.e2e.support.PrometheusText;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.Tools;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Soak: mixed allowed and refused TLS (JDK client and {@code openssl s_client}) and HTTP traffic
 * through the real jar, with paranoid leak detection, while the allow-list file changes every few
 * seconds. One minute in the normal suite; {@code -Dsoak.minutes=10} (or more) for a long run.
 *
 * <p>At the end: no leak report in the proxy's output, heap after a full GC, direct memory and open
 * file descriptors (from {@code /metrics}) within bounds of the warm-up figures, every request for
 * the always-allowed host answered, and no host that was never allowed seen at the backend (nginx's
 * access log records every SNI and Host it served). The figures are printed and published to the
 * test report.
 */
class SoakE2eTest {
  static final String STABLE = "stable.example.test";
  static final String DENIED = "denied.example.test";
  static final String NEVER = "never.example.test";
  static final List<String> FLIPPING = List.of("flip0.example.test", "flip1.example.test", "flip2.example.test");
  static final List<String> KEPT = List.of("keep0.example.test", "keep1.example.test", "keep2.example.test");
  static final Duration LIST_CHANGE_EVERY = Duration.ofSeconds(3);
  static final int CLIENT_THREADS = 4;
  /** Growth allowed between the warm-up sample and the end, both after a full GC and idle. */
  static final long MAX_HEAP_GROWTH = 48L << 20;
  static final long MAX_DIRECT_GROWTH = 32L << 20;
  static final long MAX_FD_GROWTH = 16;
  /** The child runs on this JVM's java (EdgeProxyProcess.javaJar): its jcmd forces a full GC there. */
  static final Path JCMD = Path.of(System.getProperty("java.home"), "bin", "jcmd");

  @RegisterExtension final DumpOnFailure dump = new DumpOnFailure();

  NginxBackend nginx;
  SoakProxy proxy;

  @AfterEach
  void stop() {
    try {
      if (proxy != null) {
        proxy.close();
      }
    } finally {
      if (nginx != null) {
        nginx.close();
      }
    }
  }

  @Test
  void mixedTrafficWhileTheListChanges(TestReporter reporter) throws Exception {
    Tools.require("nginx", "openssl");
    Duration length = Duration.ofMinutes(Long.getLong("soak.minutes", 1));
    Duration warmUp = Duration.ofSeconds(Math.min(20, length.toSeconds() / 4));
    nginx = dump.watch(NginxBackend.start());
    proxy = dump.watch(SoakProxy.start(nginx));

    SoakTraffic traffic = new SoakTraffic(proxy.tlsPort, proxy.httpPort);
    ScheduledExecutorService listChanger = Executors.newSingleThreadScheduledExecutor();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENT_THREADS);
    int[] generation = {0};
    listChanger.scheduleAtFixedRate(() -> proxy.writeAllowList(++generation[0]),
        LIST_CHANGE_EVERY.toMillis(), LIST_CHANGE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
    SoakProxy.Sample warm;
    try {
      long warmEnd = System.nanoTime() + warmUp.toNanos();
      long end = System.nanoTime() + length.toNanos();
      List<Future<?>> running = new ArrayList<>();
      for (int i = 0; i < CLIENT_THREADS; i++) {
        int worker = i;
        running.add(clients.submit(() -> traffic.runUntil(worker, warmEnd)));
      }
      for (Future<?> f : running) {
        f.get();
      }
      warm = proxy.sampleWhenIdle();
      running.clear();
      for (int i = 0; i < CLIENT_THREADS; i++) {
        int worker = i;
        running.add(clients.submit(() -> traffic.runUntil(worker, end)));
      }
      for (Future<?> f : running) {
        f.get();
      }
    } finally {
      listChanger.shutdownNow();
      clients.shutdownNow();
    }
    SoakProxy.Sample last = proxy.sampleWhenIdle();
    proxy.stopAndCheckForLeaks();

    List<String> backendHostsSeen = nginx.accessLog();
    long refusedAtBackend = backendHostsSeen.stream()
        .filter(line -> line.contains("sni=" + DENIED) || line.contains("sni=" + NEVER)
            || line.contains("host=" + DENIED) || line.contains("host=" + NEVER))
        .count();

    String figures = String.format(Locale.ROOT, """
        soak %d s (%d s warm-up), allow-list rewritten %d times, %d client threads
        requests: %s
        heap after GC: warm %.1f MiB, end %.1f MiB; direct: warm %.1f MiB, end %.1f MiB; \
        open fds: warm %d, end %d; LEAK reports: %d
        backend access-log lines: %d, naming a never-allowed host: %d""",
        length.toSeconds(), warmUp.toSeconds(), generation[0], CLIENT_THREADS, traffic.summary(),
        mib(warm.heapAfterGc()), mib(last.heapAfterGc()), mib(warm.direct()), mib(last.direct()),
        warm.openFds(), last.openFds(), proxy.leakReports(), backendHostsSeen.size(), refusedAtBackend);
    System.out.println(figures);
    reporter.publishEntry("soak", figures);

    assertThat(traffic.allowedFailures()).as("requests for the always-allowed host that failed:\n%s",
        traffic.failureSamples()).isZero();
    assertThat(traffic.allowedAnswered()).as("answered requests for the always-allowed host").isPositive();
    assertThat(traffic.refusedAnswered()).as("refused hosts answered by a backend").isZero();
    assertThat(refusedAtBackend).as("never-allowed hosts in the backend's access log").isZero();
    assertThat(proxy.leakReports()).as("Netty LEAK reports in the proxy output").isZero();
    assertThat(last.heapAfterGc() - warm.heapAfterGc()).as("heap growth").isLessThan(MAX_HEAP_GROWTH);
    assertThat(last.direct() - warm.direct()).as("direct memory growth").isLessThan(MAX_DIRECT_GROWTH);
    assertThat(last.openFds() - warm.openFds()).as("open file descriptor growth").isLessThan(MAX_FD_GROWTH);
  }

  private static double mib(long bytes) {
    return bytes / 1048576.0;
  }

  /** The jar with TLS, HTTP and admin listeners and a local allow-list file; self-contained YAML. */
  static final class SoakProxy implements AutoCloseable, dev.edgeproxy.e2e.support.Diagnosable {
    record Sample(long heapAfterGc, long direct, long openFds) {}

    final int tlsPort = Ports.free();
    final int httpPort = Ports.free();
    final int adminPort = Ports.free();
    final Path dir = WorkDirs.create("edge-proxy-soak");
    final Path allowList = dir.resolve("allowlist.yaml");
    ChildProcess process;

    static SoakProxy start(NginxBackend nginx) throws IOException {
      SoakProxy proxy = new SoakProxy();
      proxy.writeAllowList(0);
      Files.writeString(proxy.dir.resolve("edge-proxy.yaml"), """
          node:
            name: soak
          listeners:
            tls:
              bind: "127.0.0.1:%1$d"
            http:
              bind: "127.0.0.1:%2$d"
              mode: forward
              headerTimeout: 5s
            admin:
              bind: "127.0.0.1:%3$d"
              allowFrom: ["127.0.0.0/8"]
              syncToken: e2e-sync-token
          backends:
            nginx:
              tls: ["127.0.0.1:%4$d"]
              http: ["127.0.0.1:%5$d"]
              proxyProtocol: v2
              connectTimeout: 2s
          routes: []
          defaultBackend: nginx
          allowlist:
            stateFile: "%6$s"
            maxShrink: 90%%
            enforce: true
            file:
              path: "%7$s"
          """.formatted(proxy.tlsPort, proxy.httpPort, proxy.adminPort, nginx.tlsPort(), nginx.httpPort(),
          proxy.dir.resolve("allowlist-state.json"), proxy.allowList));
      proxy.process = ChildProcess.start("edge-proxy-soak",
          EdgeProxyProcess.javaJar(List.of("-Dio.netty.leakDetection.level=paranoid"),
              "run", "--allow-root", "--config", proxy.dir.resolve("edge-proxy.yaml").toString()),
          proxy.dir);
      try {
        await("edge-proxy ready").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
            .until(() -> {
              if (!proxy.process.alive()) {
                throw new IllegalStateException("edge-proxy exited\n" + proxy.diagnostics());
              }
              return proxy.admin("/readyz").status() == 200;
            });
      } catch (RuntimeException | AssertionError e) {
        proxy.process.close();
        throw new AssertionError("edge-proxy did not become ready\n" + proxy.diagnostics(), e);
      }
      return proxy;
    }

    /** Generation g: the stable and kept hosts, every flipping host whose bit is set in g; the denied one. */
    void writeAllowList(int generation) {
      StringBuilder yaml = new StringBuilder("allow:\n  - \"" + STABLE + "\"\n");
      KEPT.forEach(h -> yaml.append("  - \"").append(h).append("\"\n"));
      for (int i = 0; i < FLIPPING.size(); i++) {
        if ((generation >> i & 1) == 1) {
          yaml.append("  - \"").append(FLIPPING.get(i)).append("\"\n");
        }
      }
      yaml.append("deny:\n  - \"").append(DENIED).append("\"\n");
      try {
        Path tmp = dir.resolve("allowlist.yaml.tmp");
        Files.writeString(tmp, yaml);
        Files.move(tmp, allowList, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Waits until no client connection is open, runs a full GC in the child, then reads /metrics. */
    Sample sampleWhenIdle() {
      await("no open client connection").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
          .until(() -> PrometheusText.sum(metrics(), "edge_connections_active", "") == 0);
      Exec.Result gc = Exec.run(List.of(JCMD.toString(), Long.toString(process.pid()), "GC.run"),
          Duration.ofSeconds(60));
      assertThat(gc.exitCode()).as(gc.describe()).isZero();
      String text = metrics();
      return new Sample(
          (long) PrometheusText.sum(text, "jvm_memory_used_bytes", "area=\"heap\""),
          (long) PrometheusText.sum(text, "jvm_buffer_memory_used_bytes", "id=\"direct\""),
          (long) PrometheusText.sum(text, "process_files_open_files", ""));
    }

    String metrics() {
      AdminAnswer answer = admin("/metrics");
      assertThat(answer.status()).isEqualTo(200);
      return answer.body();
    }

    record AdminAnswer(int status, String body) {}

    AdminAnswer admin(String path) {
      try {
        dev.edgeproxy.e2e.support.AdminHttp.Answer a = dev.edgeproxy.e2e.support.AdminHttp.request(
            adminPort, "GET", path, java.util.Map.of(), null, 10_000);
        return new AdminAnswer(a.status(), a.body());
      } catch (IOException e) {
        return new AdminAnswer(-1, e.toString());
      }
    }

    long leakReports() {
      String out = process.stdout() + process.stderr();
      return out.lines().filter(line -> line.contains("LEAK:")).count();
    }

    void stopAndCheckForLeaks() {
      int exit = process.terminate(Duration.ofSeconds(60));
      assertThat(exit).as("exit status after SIGTERM\n%s", diagnostics()).isZero();
    }

    @Override
    public void close() {
      process.close();
    }

    @Override
    public String diagnostics() {
      return process.diagnostics();
    }
  }
}
