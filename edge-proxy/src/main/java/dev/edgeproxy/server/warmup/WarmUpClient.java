package dev.edgeproxy.server.warmup;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Consumer;

/**
 * One warm-up connection, seen from its client end: (a PROXY header when the TLS listener expects
 * one,) then each canned message in turn, waiting for its echo before the next, then a FIN; done when
 * the proxy closes the connection after the sink closed its side. A connection that ends before every
 * echo came back failed.
 */
final class WarmUpClient extends ChannelInboundHandlerAdapter {
  private final List<byte[]> messages;
  private final boolean proxyHeader;
  private final Consumer<Boolean> done;
  private int next;
  private int awaited;

  /**
   * @param messages what to send, each after the previous one's echo
   * @param proxyHeader whether to send a PROXY v2 header first (an encoder must be in the pipeline)
   * @param done called once, when the connection is closed: whether every echo came back
   */
  WarmUpClient(List<byte[]> messages, boolean proxyHeader, Consumer<Boolean> done) {
    this.messages = List.copyOf(messages);
    this.proxyHeader = proxyHeader;
    this.done = done;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (proxyHeader) {
      InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
      InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
      ctx.write(
          new HAProxyMessage(
              HAProxyProtocolVersion.V2,
              HAProxyCommand.PROXY,
              local.getAddress() instanceof Inet6Address
                  ? HAProxyProxiedProtocol.TCP6
                  : HAProxyProxiedProtocol.TCP4,
              local.getAddress().getHostAddress(),
              remote.getAddress().getHostAddress(),
              local.getPort(),
              remote.getPort()));
    }
    sendNext(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf bytes = (ByteBuf) msg;
    awaited -= bytes.readableBytes();
    bytes.release();
    if (awaited <= 0) {
      if (next < messages.size()) {
        sendNext(ctx);
      } else {
        ((DuplexChannel) ctx.channel()).shutdownOutput();
      }
    }
  }

  private void sendNext(ChannelHandlerContext ctx) {
    byte[] message = messages.get(next++);
    awaited = message.length;
    ctx.writeAndFlush(Unpooled.wrappedBuffer(message));
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    done.accept(next == messages.size() && awaited <= 0);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
