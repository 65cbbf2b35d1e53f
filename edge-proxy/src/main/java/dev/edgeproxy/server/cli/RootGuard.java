package dev.edgeproxy.server.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import picocli.CommandLine.Option;

/**
 * {@code --allow-root} for the command that serves traffic ({@code run}; the loopback-only {@code
 * quickstart} only warns). The
 * packaged unit runs as its own user and binds ports 80/443 through {@code CAP_NET_BIND_SERVICE};
 * a proxy facing the internet as root turns any bug into a root compromise, so starting as root is
 * refused unless asked for. {@code validate}, {@code check} and {@code sync} may run as root.
 */
final class RootGuard {
  /** The exit status when refusing to run as root. */
  static final int REFUSED = 1;

  @Option(
      names = "--allow-root",
      description = "start even when running as root (refused by default: the unit runs as its own user)")
  boolean allowRoot;

  /**
   * Whether to stop here; says why on {@code err} when refusing.
   *
   * @param uid the effective user id, when it can be known
   */
  boolean refuses(OptionalInt uid, PrintStream err) {
    if (allowRoot || uid.isEmpty() || uid.getAsInt() != 0) {
      return false;
    }
    err.println(
        "edge-proxy: refusing to run as root: run it as an unprivileged user (the packaged unit"
            + " binds ports 80/443 through CAP_NET_BIND_SERVICE), or pass --allow-root");
    return true;
  }

  /** For the loopback-only demo: root is worth a warning, not a refusal. */
  void warnIfRoot(PrintStream err) {
    OptionalInt uid = effectiveUid();
    if (!allowRoot && uid.isPresent() && uid.getAsInt() == 0) {
      err.println(
          "edge-proxy: warning: running as root; the quickstart listens on loopback only, but"
              + " `run` refuses root (the packaged unit runs as its own user)");
    }
  }

  /** Refuses for the current process, on standard error. */
  boolean refusesThisProcess() {
    return refuses(effectiveUid(), System.err);
  }

  /** The process's effective uid (Linux: the owner of /proc/self), empty where unknown. */
  static OptionalInt effectiveUid() {
    try {
      return OptionalInt.of((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return OptionalInt.empty();
    }
  }
}
