package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * What one HTTP connection holds in the data path's {@link MemoryBudget}: bytes written to the
 * client or the backend and not yet taken by the socket (a client that does not read its answers,
 * a backend that does not read a request body), and the requests pipelined ahead of the one being
 * handled. While either peer is not taking bytes the connection can be shed, oldest first, as the
 * TLS relay can; it is then closed with reason {@code memory_shed}.
 *
 * <p>Everything runs on the client's event loop (the backend shares it); the budget's shedding may
 * read {@link #heldBytes()} and {@link #stalledSinceNanos()} from another.
 */
final class HttpMemory implements MemoryBudget.Sheddable {
  /** Request-line and header-line framing a decoded head no longer shows (spaces, CRLF, colons). */
  private static final int HEAD_OVERHEAD = 16;
  private static final int HEADER_OVERHEAD = 4;

  private final Channel client;
  private final MemoryBudget budget;
  private final Runnable close;
  private volatile long held;
  /** When a peer last stopped taking bytes; 0 while both take them. */
  private volatile long stalledSince;

  /**
   * @param close tags the connection and closes it, on the event loop (what shedding does)
   */
  HttpMemory(Channel client, Runnable close) {
    this.client = client;
    this.budget = MemoryBudget.of(client);
    this.close = close;
    client.closeFuture().addListener(f -> budget.unstalled(this));
  }

  /** Counts {@code bytes} held until {@link #free}. Relayed and queued bytes are already read: never refused. */
  void hold(long bytes) {
    held += bytes; // single writer: the event loop
    budget.reserve(bytes);
  }

  void free(long bytes) {
    held -= bytes;
    budget.release(bytes);
  }

  /** Roughly the bytes a queued message was read as: a head's text, a content's bytes. */
  static long sizeOf(HttpObject message) {
    if (message instanceof HttpRequest request) {
      long size = HEAD_OVERHEAD + request.method().name().length() + request.uri().length();
      for (Map.Entry<String, String> header : request.headers()) {
        size += header.getKey().length() + header.getValue().length() + HEADER_OVERHEAD;
      }
      return size;
    }
    return message instanceof ByteBufHolder holder ? holder.content().readableBytes() : 0;
  }

  /** A channel's writability changed: a connection whose peer does not take bytes can be shed. */
  void writabilityChanged(Channel backend) {
    boolean blocked = !client.isWritable() || (backend != null && !backend.isWritable());
    if (blocked && stalledSince == 0 && client.isActive()) {
      stalledSince = System.nanoTime();
      budget.stalled(this);
    } else if (!blocked && stalledSince != 0) {
      unstalled();
    }
  }

  /** The connection can no longer be shed as an HTTP one (it became a tunnel: the relay counts). */
  void unstalled() {
    stalledSince = 0;
    budget.unstalled(this);
  }

  @Override
  public long stalledSinceNanos() {
    return stalledSince;
  }

  @Override
  public long heldBytes() {
    return held;
  }

  @Override
  public Executor executor() {
    return client.eventLoop();
  }

  @Override
  public boolean shed() {
    if (stalledSince == 0) {
      return false; // moved on (or became a tunnel the relay counts) since the budget chose it
    }
    close.run(); // fails the queued writes and releases the queue, which gives their bytes back
    return true;
  }

  /** A handler at the head of a pipeline that counts each written byte buffer until the socket took it. */
  ChannelOutboundHandlerAdapter writeCounter() {
    return new WriteCounter();
  }

  private final class WriteCounter extends ChannelOutboundHandlerAdapter {
    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      if (!(msg instanceof ByteBuf bytes) || !bytes.isReadable()) {
        ctx.write(msg, promise);
        return;
      }
      long n = bytes.readableBytes();
      hold(n);
      // A void promise becomes a real one that still reports a failure as the void one would.
      ChannelPromise counted = promise.unvoid();
      counted.addListener((ChannelFutureListener) done -> free(n));
      ctx.write(msg, counted);
    }
  }
}
