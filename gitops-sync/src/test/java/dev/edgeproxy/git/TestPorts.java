package dev.edgeproxy.git;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Loopback ports for test servers. */
final class TestPorts {
  private TestPorts() {}

  /** A port on 127.0.0.1 that was free a moment ago (and is closed now). */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    }
  }

  /** Waits (bounded) until something accepts on 127.0.0.1:port, or the process has died. */
  static void awaitListening(int port, Process process, long timeoutMillis)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("server exited with " + process.exitValue() + " before listening");
      }
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        return;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    throw new IOException("nothing listens on 127.0.0.1:" + port + " after " + timeoutMillis + " ms");
  }
}
