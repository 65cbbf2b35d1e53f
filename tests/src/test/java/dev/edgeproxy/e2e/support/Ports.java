package dev.edgeproxy.e2e.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.HashSet;
import java.util.Set;

/** Free loopback ports. Each port is handed out once per JVM, so two fixtures never pick the same one. */
public final class Ports {

  private static final Set<Integer> HANDED_OUT = new HashSet<>();

  private Ports() {}

  /** A port free on both 127.0.0.1 and ::1, so a fixture may listen on either family with the same number. */
  public static synchronized int free() {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port;
      try (ServerSocket socket = new ServerSocket()) {
        socket.setReuseAddress(false);
        socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        port = socket.getLocalPort();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      if (HANDED_OUT.contains(port) || !bindable("::1", port)) {
        continue;
      }
      HANDED_OUT.add(port);
      return port;
    }
    throw new IllegalStateException("no free loopback port found in 50 attempts");
  }

  /** Whether something accepts TCP connections on host:port right now. */
  public static boolean listening(String host, int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(host, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public static boolean ipv6LoopbackUsable() {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress("::1", 0));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean bindable(String host, int port) {
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(host, port));
      return true;
    } catch (IOException e) {
      // no IPv6 loopback at all is not this port's fault: the IPv4 check above is enough then
      return !ipv6LoopbackUsable();
    }
  }
}
