package dev.edgeproxy.e2e.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * One sample of what a running proxy holds, for the figures the fault and flood tests print: heap (after a full GC
 * when asked), JDK direct buffers and the memory budget's use (from {@code /metrics}), resident set size and open
 * descriptors (from {@code /proc}).
 */
public record ProcessFigures(long heap, long direct, long budgetUsed, long rss, long openFds) {

  /** The child runs on this JVM's java (EdgeProxyProcess.javaJar): its jcmd forces a full GC there. */
  private static final Path JCMD = Path.of(System.getProperty("java.home"), "bin", "jcmd");

  /** Samples {@code proxy} now; with {@code fullGc} the heap figure is what is live after a full GC. */
  public static ProcessFigures sample(EdgeProxyProcess proxy, boolean fullGc) {
    if (fullGc) {
      Exec.Result gc = Exec.run(List.of(JCMD.toString(), Long.toString(proxy.pid()), "GC.run"), Duration.ofSeconds(60));
      assertThat(gc.exitCode()).as(gc.describe()).isZero();
    }
    String metrics;
    try {
      metrics = ProxyChecks.metrics(proxy);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return new ProcessFigures(
        (long) PrometheusText.sum(metrics, "jvm_memory_used_bytes", "area=\"heap\""),
        (long) PrometheusText.sum(metrics, "jvm_buffer_memory_used_bytes", "id=\"direct\""),
        (long) PrometheusText.sum(metrics, "edge_memory_budget_used_bytes", ""),
        rss(proxy.pid()),
        openFds(proxy.pid()));
  }

  /** The larger of each figure (for the peak of a series of samples). */
  public ProcessFigures max(ProcessFigures other) {
    return new ProcessFigures(Math.max(heap, other.heap), Math.max(direct, other.direct),
        Math.max(budgetUsed, other.budgetUsed), Math.max(rss, other.rss), Math.max(openFds, other.openFds));
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "heap %.1f MiB, direct %.1f MiB, budget used %.1f MiB, RSS %.1f MiB, fds %d",
        mib(heap), mib(direct), mib(budgetUsed), mib(rss), openFds);
  }

  public static double mib(long bytes) {
    return bytes / 1048576.0;
  }

  private static long rss(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
      return -1;
    } catch (IOException e) {
      return -1; // not Linux, or the process is gone: the figure is missing, the test's asserts decide
    }
  }

  private static long openFds(long pid) {
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return fds.count();
    } catch (IOException e) {
      return -1;
    }
  }
}
