package dev.edgeproxy.server.warmup;

import dev.edgeproxy.server.transport.ListenSockets;
import dev.edgeproxy.server.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The warm-up's only backend: a loopback-only listener inside the process that requires the PROXY
 * header the proxy writes (anything else is closed unanswered), then plays the server's part of an
 * {@link WarmUpHello.Exchange}: each reply once the client's bytes before it are in, and after the
 * last one it closes, as a web server does after a response with {@code Connection: close}. What
 * the client sends beyond its part is dropped. Lives only while the warm-up runs.
 */
final class WarmUpSink implements AutoCloseable {
  private final Channel listener;
  private final AtomicLong headers;

  private WarmUpSink(Channel listener, AtomicLong headers) {
    this.listener = listener;
    this.headers = headers;
  }

  /** Binds an OS-chosen port on the loopback address. */
  static WarmUpSink start(
      Transport transport, EventLoopGroup acceptors, EventLoopGroup workers, WarmUpHello.Exchange exchange)
      throws InterruptedException {
    AtomicLong headers = new AtomicLong();
    ServerBootstrap b =
        new ServerBootstrap()
            .group(acceptors, workers)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HAProxyMessageDecoder(), new ServerPart(headers, exchange));
                  }
                });
    var bound =
        ListenSockets.bind(b, transport, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync();
    return new WarmUpSink(bound.channel(), headers);
  }

  InetSocketAddress address() {
    return (InetSocketAddress) listener.localAddress();
  }

  /** PROXY headers read so far: one per warm-up connection that reached the sink. */
  long headersRead() {
    return headers.get();
  }

  @Override
  public void close() {
    listener.close().awaitUninterruptibly();
  }

  /** The server's part after a PROXY header: replies in turn, then closes. */
  static final class ServerPart extends ChannelInboundHandlerAdapter {
    private final AtomicLong headers;
    private final WarmUpHello.Exchange exchange;
    private boolean headerSeen;
    private long received;
    private long awaited;
    private int replied;

    ServerPart(AtomicLong headers, WarmUpHello.Exchange exchange) {
      this.headers = headers;
      this.exchange = exchange;
      this.awaited = exchange.clientSends().get(0).length;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HAProxyMessage header) {
        header.release();
        headerSeen = true;
        headers.incrementAndGet();
        return;
      }
      if (!headerSeen || !(msg instanceof ByteBuf bytes)) {
        ReferenceCountUtil.release(msg);
        ctx.close();
        return;
      }
      received += bytes.readableBytes();
      bytes.release();
      while (replied < exchange.serverReplies().size() && received >= awaited) {
        byte[] reply = exchange.serverReplies().get(replied++);
        if (replied == exchange.serverReplies().size()) {
          ctx.writeAndFlush(Unpooled.wrappedBuffer(reply)).addListener(ChannelFutureListener.CLOSE);
        } else {
          ctx.writeAndFlush(Unpooled.wrappedBuffer(reply));
          awaited += exchange.clientSends().get(replied).length;
        }
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof ChannelInputShutdownEvent) {
        ctx.close(); // the client gave up before its part was done
      }
      ReferenceCountUtil.release(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a header that is not PROXY, a reset: nothing to keep
    }
  }
}
