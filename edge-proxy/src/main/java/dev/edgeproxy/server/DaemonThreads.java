package dev.edgeproxy.server;

import java.util.concurrent.ThreadFactory;

/** Named daemon threads: background work that must never keep the JVM from exiting. */
final class DaemonThreads {
  private DaemonThreads() {}

  static ThreadFactory named(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
