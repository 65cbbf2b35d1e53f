package dev.edgeproxy.e2e.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on a fixed loopback port in front of a remote the proxy fetches from (git daemon, WireMock), switched by
 * the test between passing bytes on, refusing connections (nothing listens on the port) and stalling them (accepted,
 * never answered). Every switch closes the connections it holds, so a client's kept-alive connection cannot ride
 * through a fault.
 */
public final class FaultyRelay implements AutoCloseable, Diagnosable {

  public enum Mode {
    FORWARD,
    REFUSE,
    STALL
  }

  private final int targetPort;
  private final int port;
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "faulty-relay");
    t.setDaemon(true);
    return t;
  });
  private final List<Socket> open = new CopyOnWriteArrayList<>();
  private final AtomicInteger forwarded = new AtomicInteger();
  private final AtomicInteger stalled = new AtomicInteger();
  private volatile Mode mode = Mode.FORWARD;
  private ServerSocket server;

  private FaultyRelay(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.port = server.getLocalPort();
    listen(server);
  }

  /** A relay to {@code 127.0.0.1:targetPort}, forwarding. */
  public static FaultyRelay to(int targetPort) {
    try {
      return new FaultyRelay(targetPort);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  /** Switches: held connections are closed; REFUSE closes the listening socket, the others listen again. */
  public synchronized void mode(Mode next) {
    try {
      mode = next;
      for (Socket s : open) {
        s.close();
      }
      open.clear();
      if (next == Mode.REFUSE && server != null) {
        server.close();
        server = null;
      } else if (next != Mode.REFUSE && server == null) {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server = s;
        listen(s);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void listen(ServerSocket s) {
    threads.execute(() -> {
      while (!s.isClosed()) {
        try {
          Socket client = s.accept();
          open.add(client);
          if (mode == Mode.STALL) {
            stalled.incrementAndGet(); // held open, never read nor answered, until the next switch
          } else {
            threads.execute(() -> forward(client));
          }
        } catch (IOException e) {
          return; // closed by a switch or close()
        }
      }
    });
  }

  private void forward(Socket client) {
    try {
      Socket target = new Socket(InetAddress.getLoopbackAddress(), targetPort);
      open.add(target);
      forwarded.incrementAndGet();
      threads.execute(() -> pump(target, client));
      pump(client, target);
    } catch (IOException e) {
      close(client);
    }
  }

  private void pump(Socket from, Socket to) {
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      in.transferTo(out);
    } catch (IOException e) {
      // either side closed: both go
    } finally {
      close(from);
      close(to);
    }
  }

  private void close(Socket s) {
    open.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // closing anyway
    }
  }

  @Override
  public synchronized void close() {
    try {
      if (server != null) {
        server.close();
      }
      for (Socket s : open) {
        s.close();
      }
    } catch (IOException e) {
      // closing anyway
    }
    threads.shutdownNow();
  }

  @Override
  public String diagnostics() {
    return "=== faulty relay " + port + " -> " + targetPort + ": mode " + mode + ", forwarded " + forwarded
        + ", stalled " + stalled;
  }
}
