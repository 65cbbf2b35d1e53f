package dev.edgeproxy.server.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM/SIGINT start a drain and SIGHUP asks for a reload. The JVM's default for SIGTERM is to
 * exit 143 from a shutdown hook before a drain can finish, so the signals are taken over here and
 * the main thread ends the process with status 0 once the drain is done.
 */
final class Signals {
  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  private final CountDownLatch terminate = new CountDownLatch(1);
  private final AtomicReference<Runnable> reload = new AtomicReference<>(() -> {});

  private Signals() {}

  static Signals install() {
    Signals s = new Signals();
    Signal.handle(new Signal("TERM"), sig -> s.terminate("SIGTERM"));
    Signal.handle(new Signal("INT"), sig -> s.terminate("SIGINT"));
    try {
      SignalHandler before = Signal.handle(new Signal("HUP"), sig -> s.reloadRequested());
      if (before == SignalHandler.SIG_IGN) {
        // The JVM keeps a disposition it inherited as "ignore" (nohup) and installs nothing.
        log.warn(
            "SIGHUP is ignored by this process (started under nohup?): reload by SIGHUP is"
                + " unavailable; use POST /sync for the allow-list, or restart for the configuration");
      }
    } catch (IllegalArgumentException e) {
      log.warn("SIGHUP is not available on this platform: reload by restarting");
    }
    return s;
  }

  void onReload(Runnable action) {
    reload.set(action);
  }

  private void terminate(String signal) {
    log.info("{} received", signal);
    terminate.countDown();
  }

  private void reloadRequested() {
    log.info("SIGHUP received: reloading");
    // Signal handlers run on their own thread; a reload may block briefly on file reads.
    Thread t = new Thread(reload.get(), "reload");
    t.setDaemon(true);
    t.start();
  }

  void awaitTermination() throws InterruptedException {
    terminate.await();
  }
}
