package dev.edgeproxy.allowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Local inputs (allow-list file, state file) are refused by type and size before reading. */
class LocalInputBoundsTest {
  @TempDir Path dir;

  /** A sparse file: the size is real, the disk space is not used. */
  private Path sparse(String name, long bytes) throws Exception {
    Path p = dir.resolve(name);
    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
      f.setLength(bytes);
    }
    return p;
  }

  private Path fifo(String name) throws Exception {
    Path p = dir.resolve(name);
    Process mk = new ProcessBuilder("mkfifo", p.toString()).start();
    boolean made = mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0;
    if ("true".equals(System.getenv("CI"))) {
      org.junit.jupiter.api.Assertions.assertTrue(made, "mkfifo failed: CI must run the FIFO cases");
    }
    assumeTrue(made, "mkfifo unavailable");
    return p;
  }

  @Test
  @Timeout(30)
  void aHugeAllowListFileIsASourceErrorNotAnOutOfMemoryError() throws Exception {
    Path huge = sparse("allowlist.yaml", 300L * 1024 * 1024);
    assertThatThrownBy(() -> new FileAllowListSource(huge).fetch())
        .isInstanceOf(SourceException.class)
        .hasMessageContaining("is 314572800 bytes, more than the 4194304 bytes allowed");
  }

  @Test
  @Timeout(30)
  void aDeviceOrAFifoIsRefusedWithoutReadingIt() throws Exception {
    assertThatThrownBy(() -> new FileAllowListSource(Path.of("/dev/zero")).fetch())
        .isInstanceOf(SourceException.class)
        .hasMessageContaining("/dev/zero is not a regular file");
    Path fifo = fifo("allowlist.yaml");
    // opening a FIFO for reading blocks until a writer comes: the @Timeout catches a regression
    assertThatThrownBy(() -> new FileAllowListSource(fifo).fetch())
        .isInstanceOf(SourceException.class)
        .hasMessageContaining("is not a regular file (a FIFO, socket or device)");
  }

  @Test
  void aFileJustUnderTheBoundParses() throws Exception {
    // ~3.9 MiB: over SnakeYAML's default limit of 3 Mi code points, under our 4 MiB bound
    StringBuilder yaml = new StringBuilder("allow:\n");
    int i = 0;
    while (yaml.length() < FileAllowListSource.MAX_BYTES - 100) {
      yaml.append("  - h").append(i++).append(".example.com\n");
    }
    Path file = dir.resolve("allowlist.yaml");
    Files.writeString(file, yaml, StandardCharsets.UTF_8);
    assertThat(Files.size(file)).isGreaterThan(3L * 1024 * 1024);
    assertThat(new FileAllowListSource(file).fetch().allow()).hasSize(i);
  }

  @Test
  @Timeout(30)
  void aHugeOrSpecialStateFileIsIgnoredWithAClearProblem() throws Exception {
    Path huge = sparse("state.json", 149L * 1024 * 1024);
    SnapshotStore.LoadResult r = SnapshotStore.load(huge);
    assertThat(r.snapshot()).isEmpty();
    assertThat(r.problem()).get().asString().contains("more than the 33554432 bytes allowed");

    SnapshotStore.LoadResult fromFifo = SnapshotStore.load(fifo("state-fifo.json"));
    assertThat(fromFifo.snapshot()).isEmpty();
    assertThat(fromFifo.problem()).get().asString().contains("not a regular file");

    // the registry starts without it (not ready: it waits for its sources), instead of dying
    AllowListRegistry registry =
        AllowListRegistry.restore(java.util.List.of(), 0.5, java.util.Optional.of(huge));
    assertThat(registry.isReady()).isFalse();
    assertThat(registry.restoreProblem()).isPresent();
  }

  @Test
  void aMissingFileIsASourceError() {
    assertThatThrownBy(() -> new FileAllowListSource(dir.resolve("none.yaml")).fetch())
        .hasMessageContaining("does not exist");
  }
}
