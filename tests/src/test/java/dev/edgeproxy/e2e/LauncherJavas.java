package dev.edgeproxy.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The Java runtimes {@link LauncherE2eTest} starts the launcher with. */
final class LauncherJavas {
  record Java(String path, int feature) {}

  private static final Pattern VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)");

  private LauncherJavas() {}

  static Java current() {
    String java =
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    return new Java(java, Runtime.version().feature());
  }

  /** {@code -Dedgeproxy.e2e.java25}, else the newest Java 25+ beside this one (e.g. /usr/lib/jvm/*). */
  static Optional<Java> java25OrLater() {
    String named = System.getProperty("edgeproxy.e2e.java25");
    if (named != null && !named.isBlank()) {
      Path home = Path.of(named).toAbsolutePath().getParent().getParent();
      return Optional.of(new Java(named, feature(home).orElse(0)));
    }
    Path jvms = Path.of(System.getProperty("java.home")).toAbsolutePath().getParent();
    try (Stream<Path> homes = Files.list(jvms)) {
      return homes
          .filter(h -> Files.isExecutable(h.resolve("bin/java")))
          .flatMap(h -> feature(h).stream().map(f -> new Java(h.resolve("bin/java").toString(), f)))
          .filter(j -> j.feature() >= 25)
          .max(Comparator.comparingInt(Java::feature));
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<Integer> feature(Path home) {
    try {
      Matcher m = VERSION.matcher(Files.readString(home.resolve("release")));
      return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The files a process has mapped (Linux {@code /proc/PID/maps}). */
  static List<String> mapsOf(long pid) {
    try {
      return Files.readAllLines(Path.of("/proc", Long.toString(pid), "maps")).stream()
          .map(l -> l.replaceFirst("^(\\S+\\s+){5}", "").trim())
          .filter(l -> l.startsWith("/"))
          .distinct()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
