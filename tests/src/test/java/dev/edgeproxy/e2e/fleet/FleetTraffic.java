package dev.edgeproxy.e2e.fleet;

import static org.assertj.core.api.Assertions.catchThrowable;

import dev.edgeproxy.e2e.support.LargeFile;
import dev.edgeproxy.e2e.support.TlsConnection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/** Client traffic through a node's 443, as the fleet test's clients send it: one-line GETs and the 64 MiB download. */
final class FleetTraffic {
  static final long MIB = 1024 * 1024;
  /** The speed of a download that must still be running when an event it waits for happens. */
  private static final long SLOW_BYTES_PER_SECOND = 128 * 1024;

  /** A finished download: the error that ended it, or the SHA-256 of what arrived. */
  record Download(Throwable error, String sha256) {}

  @FunctionalInterface
  interface ThrowingRunnable {
    void run() throws Exception;
  }

  private FleetTraffic() {}

  /** The backend's one-line answer to GET / through the node's 443 for {@code sni}, or null when refused. */
  static String get(NspawnNode node, String sni) {
    try {
      return TlsConnection.get(address(node), sni, "/").body().strip();
    } catch (IOException refused) {
      return null;
    }
  }

  /**
   * Downloads the 64 MiB file through the node's 443 at 128 KiB/s until {@code event} (looked at once a
   * second) holds, then at full speed; {@code seenAt} records when it held (System.nanoTime()).
   */
  static Download slowlyUntil(NspawnNode node, BooleanSupplier event, AtomicLong seenAt) {
    MessageDigest digest = LargeFile.newDigest();
    long start = System.nanoTime();
    AtomicLong lastLook = new AtomicLong();
    Throwable error = catchThrowable(() -> {
      try (TlsConnection c = TlsConnection.open(address(node), "big.apps.example.test", 120_000)) {
        c.download("/" + LargeFile.NAME, digest, 16 * 1024, total -> {
          if (seenAt.get() != 0) {
            return;
          }
          long now = System.nanoTime();
          if (now - lastLook.get() > TimeUnit.SECONDS.toNanos(1)) {
            lastLook.set(now);
            if (event.getAsBoolean()) {
              seenAt.set(now);
              return;
            }
          }
          pace(start, total, SLOW_BYTES_PER_SECOND, TimeUnit.SECONDS.toNanos(1));
        });
      }
    });
    return new Download(error, error == null ? HexFormat.of().formatHex(digest.digest()) : null);
  }

  /**
   * Downloads the 64 MiB file through the node's 443 at about {@code bytesPerSecond}, running {@code during}
   * once the first MiB has arrived; returns when both are done.
   */
  static Download paced(NspawnNode node, long bytesPerSecond, ThrowingRunnable during) throws Exception {
    MessageDigest digest = LargeFile.newDigest();
    CompletableFuture<Void> started = new CompletableFuture<>();
    CompletableFuture<Download> transfer = CompletableFuture.supplyAsync(() -> {
      long start = System.nanoTime();
      Throwable error = catchThrowable(() -> {
        try (TlsConnection c = TlsConnection.open(address(node), "big.apps.example.test", 120_000)) {
          c.download("/" + LargeFile.NAME, digest, 64 * 1024, total -> {
            if (total >= MIB) {
              started.complete(null);
            }
            pace(start, total, bytesPerSecond, Long.MAX_VALUE);
          });
        }
      });
      started.complete(null);
      return new Download(error, error == null ? HexFormat.of().formatHex(digest.digest()) : null);
    });
    started.get(60, TimeUnit.SECONDS);
    during.run();
    return transfer.get(5, TimeUnit.MINUTES);
  }

  /** Holds the reader back until {@code total} bytes are due at {@code bytesPerSecond}, at most {@code maxWaitNanos}. */
  private static void pace(long start, long total, long bytesPerSecond, long maxWaitNanos) throws IOException {
    long wait = start + total * 1_000_000_000L / bytesPerSecond - System.nanoTime();
    if (wait <= 0) {
      return;
    }
    try {
      TimeUnit.NANOSECONDS.sleep(Math.min(wait, maxWaitNanos));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private static InetSocketAddress address(NspawnNode node) {
    return new InetSocketAddress(node.network().nodeAddress(), 443);
  }
}
