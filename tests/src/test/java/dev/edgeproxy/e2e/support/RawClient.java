package dev.edgeproxy.e2e.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/** A plain TCP client that sends arbitrary bytes to the TLS port and watches how the proxy ends the connection. */
public final class RawClient {

  /** How the connection ended, seen from the client. */
  public record Outcome(int localPort, byte[] received, boolean closedByPeer, long millisToClose, String how) {}

  private RawClient() {}

  /**
   * Connects, writes {@code bytes}, then reads until the peer closes (EOF or reset) or {@code limitMillis} pass.
   * Writes that fail because the peer already closed count as a close.
   */
  public static Outcome sendAndAwaitClose(InetSocketAddress address, byte[] bytes, int limitMillis) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(address, 5_000);
      int localPort = socket.getLocalPort();
      long start = System.nanoTime();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      try {
        socket.getOutputStream().write(bytes);
        socket.getOutputStream().flush();
      } catch (SocketException e) {
        return new Outcome(localPort, received.toByteArray(), true, elapsed(start), "write failed: " + e.getMessage());
      }
      socket.setSoTimeout(limitMillis);
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[4096];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          received.write(buffer, 0, n);
        }
        return new Outcome(localPort, received.toByteArray(), true, elapsed(start), "EOF");
      } catch (SocketTimeoutException e) {
        return new Outcome(localPort, received.toByteArray(), false, elapsed(start), "still open after " + limitMillis + " ms");
      } catch (SocketException e) {
        return new Outcome(localPort, received.toByteArray(), true, elapsed(start), "reset: " + e.getMessage());
      }
    }
  }

  private static long elapsed(long start) {
    return (System.nanoTime() - start) / 1_000_000;
  }
}
