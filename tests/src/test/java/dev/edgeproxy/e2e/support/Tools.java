package dev.edgeproxy.e2e.support;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** External programs the end-to-end tests drive: skipped when missing on a laptop, a failure on CI. */
public final class Tools {

  private Tools() {}

  /** Skips the calling test (or class, from {@code @BeforeAll}) unless every tool is installed; fails instead when CI=true. */
  public static void require(String... tools) {
    List<String> missing = new ArrayList<>();
    for (String tool : tools) {
      if (find(tool).isEmpty()) {
        missing.add(tool);
      }
    }
    if (missing.isEmpty()) {
      return;
    }
    String message = "missing on PATH (and /usr/sbin): " + missing;
    if (ci()) {
      fail(message + " -- CI=true, so this is a failure, not a skip");
    }
    assumeTrue(false, message);
  }

  /** Skips unless {@code condition} holds (a precondition of the machine, not of the product); fails when CI=true. */
  public static void requireThat(boolean condition, String message) {
    if (condition) {
      return;
    }
    if (ci()) {
      fail(message + " -- CI=true, so this is a failure, not a skip");
    }
    assumeTrue(false, message);
  }

  /** The absolute path of a tool; nginx and haproxy live in /usr/sbin, which a non-root PATH may lack. */
  public static String path(String tool) {
    return find(tool).map(Path::toString).orElseThrow(() -> new IllegalStateException(tool + " not installed"));
  }

  static boolean ci() {
    return "true".equals(System.getenv("CI"));
  }

  private static Optional<Path> find(String tool) {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
    dirs.add("/usr/sbin");
    dirs.add("/sbin");
    for (String dir : dirs) {
      if (dir.isEmpty()) {
        continue;
      }
      Path candidate = Path.of(dir, tool);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
