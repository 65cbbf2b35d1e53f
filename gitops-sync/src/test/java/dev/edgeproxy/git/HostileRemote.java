package dev.edgeproxy.git;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A remote that misbehaves on 127.0.0.1, one connection per thread: it accepts and never answers,
 * trickles an HTTP answer one byte at a time, or advertises refs without end.
 */
final class HostileRemote implements AutoCloseable {
  enum Behaviour {
    SILENT,
    TRICKLE_HTTP,
    ENDLESS_REFS_HTTP
  }

  private final ServerSocket server;
  private final Behaviour behaviour;
  private final long trickleMillis;
  private final List<Socket> clients = new CopyOnWriteArrayList<>();
  private final CountDownLatch connected = new CountDownLatch(1);
  private final Thread acceptor;

  private HostileRemote(Behaviour behaviour, long trickleMillis) throws IOException {
    this.server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    this.behaviour = behaviour;
    this.trickleMillis = trickleMillis;
    this.acceptor = new Thread(this::acceptLoop, "hostile-remote");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  static HostileRemote start(Behaviour behaviour) throws IOException {
    return new HostileRemote(behaviour, 500);
  }

  int port() {
    return server.getLocalPort();
  }

  /** True once a client has connected. */
  boolean awaitConnection(long millis) throws InterruptedException {
    return connected.await(millis, TimeUnit.MILLISECONDS);
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        clients.add(s);
        connected.countDown();
        Thread t = new Thread(() -> serve(s), "hostile-client");
        t.setDaemon(true);
        t.start();
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      switch (behaviour) {
        case SILENT -> in.transferTo(OutputStream.nullOutputStream()); // until the client leaves
        case TRICKLE_HTTP -> {
          skipRequestHead(in);
          byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: application/x-git-upload-pack-"
                  + "advertisement\r\nContent-Length: 100000\r\n\r\n001e# service=git-upload-pack\n")
              .getBytes(StandardCharsets.US_ASCII);
          for (byte b : head) {
            out.write(b);
            out.flush();
            Thread.sleep(trickleMillis);
          }
          while (true) {
            out.write('0');
            out.flush();
            Thread.sleep(trickleMillis);
          }
        }
        case ENDLESS_REFS_HTTP -> {
          skipRequestHead(in);
          out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/x-git-upload-pack-advertisement"
                  + "\r\nCache-Control: no-cache\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
          out.write(pkt("# service=git-upload-pack\n"));
          out.write("0000".getBytes(StandardCharsets.US_ASCII));
          String sha = "1".repeat(40);
          out.write(pkt(sha + " HEAD\0multi_ack side-band-64k ofs-delta\n"));
          for (long i = 0; ; i++) {
            out.write(pkt(sha + " refs/heads/branch-" + i + "\n"));
          }
        }
        default -> throw new IllegalStateException(behaviour.name());
      }
    } catch (IOException | InterruptedException e) {
      // the client went away, or the test ended
    }
  }

  private static byte[] pkt(String line) {
    byte[] data = line.getBytes(StandardCharsets.UTF_8);
    String len = String.format("%04x", data.length + 4);
    byte[] out = new byte[data.length + 4];
    System.arraycopy(len.getBytes(StandardCharsets.US_ASCII), 0, out, 0, 4);
    System.arraycopy(data, 0, out, 4, data.length);
    return out;
  }

  /** Reads up to the blank line that ends a GET's head. */
  private static void skipRequestHead(InputStream in) throws IOException {
    int state = 0;
    int b;
    while ((b = in.read()) >= 0) {
      state = switch (state) {
        case 0, 2 -> b == '\r' ? state + 1 : 0;
        case 1 -> b == '\n' ? 2 : 0;
        case 3 -> b == '\n' ? 4 : 0;
        default -> 0;
      };
      if (state == 4) {
        return;
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : clients) {
      s.close();
    }
  }
}
