package dev.edgeproxy.e2e.fleet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/** Measures the phases of the fleet test and prints each as it ends, and all of them at the end. */
final class PhaseTimer {
  private record Phase(String name, Duration took) {}

  private final List<Phase> phases = new ArrayList<>();
  private final long start = System.nanoTime();

  /** Runs {@code phase}, records and prints how long it took. */
  <T> T time(String name, Supplier<T> phase) {
    long begin = System.nanoTime();
    try {
      return phase.get();
    } finally {
      Duration took = Duration.ofNanos(System.nanoTime() - begin);
      synchronized (phases) {
        phases.add(new Phase(name, took));
      }
      System.out.printf("fleet phase: %-48s %6.1f s%n", name, took.toMillis() / 1000.0);
    }
  }

  void run(String name, Runnable phase) {
    time(name, () -> {
      phase.run();
      return null;
    });
  }

  /** Every phase measured so far, and the time since this timer was made. */
  String summary() {
    StringBuilder out = new StringBuilder("fleet timings (load average " + loadAverage() + "):\n");
    List<Phase> done;
    synchronized (phases) {
      done = List.copyOf(phases);
    }
    for (Phase p : done) {
      out.append(String.format("  %-48s %6.1f s%n", p.name(), p.took().toMillis() / 1000.0));
    }
    Duration total = Duration.ofNanos(System.nanoTime() - start);
    return out.append(String.format("  %-48s %6.1f s%n", "total", total.toMillis() / 1000.0)).toString();
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    } catch (IOException e) {
      return "?";
    }
  }
}
