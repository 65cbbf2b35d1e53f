package dev.edgeproxy.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/** Directories for the child processes under target/, kept after the run so a failure can be read afterwards. */
public final class WorkDirs {

  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final String RUN = Long.toString(System.currentTimeMillis(), 36);

  private WorkDirs() {}

  /** target/ of this module (surefire runs with the module as working directory). */
  public static Path target() {
    return Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize().resolve("target");
  }

  /** A fresh directory target/e2e-work/RUN-N-name. */
  public static Path create(String name) {
    try {
      Path dir = target().resolve("e2e-work").resolve(RUN + "-" + SEQUENCE.incrementAndGet() + "-" + name);
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
