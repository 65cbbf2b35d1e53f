package dev.edgeproxy.server.sources;

import java.util.concurrent.ThreadFactory;

/** Named daemon threads: background work that must never keep the JVM from exiting. */
public final class DaemonThreads {
  private DaemonThreads() {}

  public static ThreadFactory named(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
