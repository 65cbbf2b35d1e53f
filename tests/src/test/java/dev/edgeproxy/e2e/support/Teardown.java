package dev.edgeproxy.e2e.support;

/** The end of a suite that runs one proxy in front of backends: each is stopped even if one fails. */
public final class Teardown {
  /**
   * Stops the proxy (asserting its clean drain, see {@link EdgeProxyProcess#stop}), then closes the
   * backends in order; any may be null (its start failed). The first failure is thrown once all
   * were tried, the others added to it as suppressed.
   */
  public static void stopThenClose(EdgeProxyProcess proxy, AutoCloseable... backends) throws Exception {
    Throwable first = null;
    if (proxy != null) {
      try {
        proxy.stop();
      } catch (RuntimeException | AssertionError e) {
        first = e;
      }
    }
    for (AutoCloseable backend : backends) {
      if (backend == null) {
        continue;
      }
      try {
        backend.close();
      } catch (Exception | AssertionError e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first instanceof Exception e) {
      throw e;
    } else if (first instanceof Error e) {
      throw e;
    }
  }

  private Teardown() {}
}
