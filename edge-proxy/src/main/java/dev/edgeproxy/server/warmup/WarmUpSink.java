package dev.edgeproxy.server.warmup;

import dev.edgeproxy.server.transport.ListenSockets;
import dev.edgeproxy.server.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
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
 * header the proxy writes (anything else is closed unanswered), then echoes every byte back and
 * closes once the proxy passes on the client's FIN. Lives only while the warm-up runs.
 */
final class WarmUpSink implements AutoCloseable {
  private final Channel listener;
  private final AtomicLong headers;

  private WarmUpSink(Channel listener, AtomicLong headers) {
    this.listener = listener;
    this.headers = headers;
  }

  /** Binds an OS-chosen port on the loopback address. */
  static WarmUpSink start(Transport transport, EventLoopGroup acceptors, EventLoopGroup workers)
      throws InterruptedException {
    AtomicLong headers = new AtomicLong();
    ServerBootstrap b =
        new ServerBootstrap()
            .group(acceptors, workers)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new HAProxyMessageDecoder(), new Echo(headers));
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

  /** Echoes after a PROXY header; reads no faster than the echo drains (writability). */
  static final class Echo extends ChannelInboundHandlerAdapter {
    private final AtomicLong headers;
    private boolean headerSeen;

    Echo(AtomicLong headers) {
      this.headers = headers;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HAProxyMessage header) {
        header.release();
        headerSeen = true;
        headers.incrementAndGet();
      } else if (headerSeen && msg instanceof ByteBuf bytes) {
        ctx.write(bytes);
      } else {
        ReferenceCountUtil.release(msg);
        ctx.close();
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
      if (!ctx.channel().isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        ctx.channel().config().setAutoRead(true);
      }
      ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof ChannelInputShutdownEvent) {
        ctx.flush();
        ctx.close();
      }
      ReferenceCountUtil.release(event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a header that is not PROXY, a reset: nothing to keep
    }
  }
}
