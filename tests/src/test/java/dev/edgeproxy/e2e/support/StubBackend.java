package dev.edgeproxy.e2e.support;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback backend for pools with {@code proxyProtocol: none} that misbehaves on purpose. A connection that closes
 * before sending a TLS record is the proxy's health check; one that sends a record (the client's hello, relayed)
 * gets the behaviour: pour a stream, sink one slowly, reset mid-stream, or hang.
 */
public final class StubBackend implements AutoCloseable, Diagnosable {

  private enum Behaviour { POUR, SINK, RESET, HANG }

  private final ServerSocket server;
  private final Behaviour behaviour;
  private final long bytes;
  private final long bytesPerSecond;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger streams = new AtomicInteger();
  private final List<String> problems = new CopyOnWriteArrayList<>();
  private final List<Long> sunk = new CopyOnWriteArrayList<>();

  private StubBackend(Behaviour behaviour, long bytes, long bytesPerSecond) throws IOException {
    this(new ServerSocket(0, 200, InetAddress.getLoopbackAddress()), behaviour, bytes, bytesPerSecond);
  }

  private StubBackend(ServerSocket server, Behaviour behaviour, long bytes, long bytesPerSecond) {
    this.server = server;
    this.behaviour = behaviour;
    this.bytes = bytes;
    this.bytesPerSecond = bytesPerSecond;
    threads.execute(this::accept);
  }

  /**
   * Writes {@code bytes} after the hello at {@code bytesPerSecond} (0: as fast as the proxy takes them), then waits for
   * the client to close, as a server that keeps its connection open after a response does.
   */
  public static StubBackend pouring(long bytes, long bytesPerSecond) throws IOException {
    return new StubBackend(Behaviour.POUR, bytes, bytesPerSecond);
  }

  /** {@link #pouring} on a given loopback address and port (e.g. 127.0.0.2 on the port another one has). */
  public static StubBackend pouringOn(InetAddress address, int port, long bytes) throws IOException {
    return new StubBackend(new ServerSocket(port, 200, address), Behaviour.POUR, bytes, 0);
  }

  /**
   * Reads a length (8 bytes) and then that many bytes at {@code bytesPerSecond}, answers the count (8 bytes) and waits
   * for the client to close, as a server reading a request body of a stated length does.
   */
  public static StubBackend sinking(long bytesPerSecond) throws IOException {
    return new StubBackend(Behaviour.SINK, 0, bytesPerSecond);
  }

  /** Writes {@code bytes} after the hello, then resets the connection (SO_LINGER 0). */
  public static StubBackend resettingAfter(long bytes) throws IOException {
    return new StubBackend(Behaviour.RESET, bytes, 0);
  }

  /** Accepts and then never reads nor writes a byte (a process wedged after accept). */
  public static StubBackend hanging() throws IOException {
    return new StubBackend(Behaviour.HANG, 0, 0);
  }

  public int port() {
    return server.getLocalPort();
  }

  /** Connections accepted, health checks included. */
  public int accepted() {
    return accepted.get();
  }

  /** Connections that sent a hello (relayed clients). */
  public int streams() {
    return streams.get();
  }

  /** For a sink: the bytes each finished stream brought (in the order they ended). */
  public List<Long> sunk() {
    return List.copyOf(sunk);
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        accepted.incrementAndGet();
        sockets.add(socket);
        if (behaviour != Behaviour.HANG) {
          threads.execute(() -> serve(socket));
        }
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = socket.getInputStream();
      byte[] header = in.readNBytes(5);
      if (header.length < 5) {
        return; // a health check: connect, close
      }
      in.readNBytes(((header[3] & 0xff) << 8) | (header[4] & 0xff));
      streams.incrementAndGet();
      OutputStream out = socket.getOutputStream();
      switch (behaviour) {
        case POUR -> {
          PacedIo.write(out, bytes, bytesPerSecond);
          in.transferTo(OutputStream.nullOutputStream());
        }
        case SINK -> {
          long length = new DataInputStream(in).readLong();
          long read = PacedIo.read(in, length, bytesPerSecond);
          sunk.add(read);
          new DataOutputStream(out).writeLong(read);
          out.flush();
          in.transferTo(OutputStream.nullOutputStream());
        }
        case RESET -> {
          PacedIo.write(out, bytes, 0);
          socket.setSoLinger(true, 0);
        }
        case HANG -> throw new IllegalStateException("hanging connections are not served");
      }
    } catch (IOException e) {
      if (behaviour != Behaviour.RESET) {
        problems.add(e.toString());
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket socket : sockets) {
      socket.close();
    }
    threads.shutdownNow();
  }

  @Override
  public String diagnostics() {
    return "=== stub backend " + behaviour + " on " + port() + ": accepted " + accepted + ", streams " + streams
        + ", problems " + problems;
  }
}
