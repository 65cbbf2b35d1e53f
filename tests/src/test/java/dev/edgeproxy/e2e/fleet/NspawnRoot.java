package dev.edgeproxy.e2e.fleet;

import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The Debian root the nodes boot, built by {@code tests/nspawn/build-root.sh} once (debootstrap,
 * ~2-3 min with the Java runtime) and cached under {@code /var/tmp/edge-proxy-nspawn-root}, keyed
 * by the script's hash; every node boots it read-only with an overlay of its own.
 */
final class NspawnRoot {
  private static Path root;

  private NspawnRoot() {}

  static synchronized Path get() {
    if (root == null) {
      Path script = WorkDirs.target().getParent().resolve("nspawn/build-root.sh");
      Exec.Result r = Exec.run(List.of("bash", script.toString()), Duration.ofMinutes(20));
      if (r.exitCode() != 0) {
        throw new IllegalStateException("cannot build the node root: " + r.describe());
      }
      List<String> lines = r.stdout().strip().lines().toList();
      Path built = Path.of(lines.get(lines.size() - 1));
      if (!Files.isRegularFile(built.resolve(".complete"))) {
        throw new IllegalStateException("build-root.sh printed no complete root: " + r.describe());
      }
      root = built;
    }
    return root;
  }
}
