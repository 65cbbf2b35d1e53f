package dev.edgeproxy.server.sources;

import dev.edgeproxy.allowlist.AllowListSource;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a source without waiting on it: a source may serialise {@code close()} with a fetch that
 * is stuck in a socket read (the Git source does), and neither shutdown, a reload nor {@code sync
 * --dry-run} may wait on a fetch. The close runs on a daemon thread; the caller waits at most
 * {@code wait}.
 */
public final class SourceClosing {
  private static final Logger log = LoggerFactory.getLogger(SourceClosing.class);

  private SourceClosing() {}

  /** @return true when the source closed within {@code wait} */
  public static boolean close(AllowListSource source, Duration wait) {
    if (!(source instanceof AutoCloseable closeable)) {
      return true;
    }
    CountDownLatch done = new CountDownLatch(1);
    Thread t =
        new Thread(
            () -> {
              try {
                closeable.close();
              } catch (Exception e) {
                log.debug("closing allow-list source {}: {}", source.name(), e.toString());
              } finally {
                done.countDown();
              }
            },
            "allowlist-close-" + source.name());
    t.setDaemon(true);
    t.start();
    try {
      if (done.await(wait.toMillis(), TimeUnit.MILLISECONDS)) {
        return true;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.info("allow-list source {} is still busy; it closes when its fetch ends", source.name());
    return false;
  }
}
