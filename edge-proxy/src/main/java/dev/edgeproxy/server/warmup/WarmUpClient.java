package dev.edgeproxy.server.warmup;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
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
 * one,) then the client's part of an {@link WarmUpHello.Exchange}, each message once the server's
 * reply before it is in; done when the proxy closes the connection after the sink closed its side
 * (the client then closes too, as h2load and browsers do). A connection that ends before every
 * reply came back failed.
 */
final class WarmUpClient extends ChannelInboundHandlerAdapter {
  private final List<byte[]> messages;
  private final List<byte[]> replies;
  private final boolean proxyHeader;
  private final Consumer<Boolean> done;
  private int next;
  private int awaited;

  /**
   * @param proxyHeader whether to send a PROXY v2 header first (an encoder must be in the pipeline)
   * @param done called once, when the connection is closed: whether every reply came back
   */
  WarmUpClient(WarmUpHello.Exchange exchange, boolean proxyHeader, Consumer<Boolean> done) {
    this.messages = exchange.clientSends();
    this.replies = exchange.serverReplies();
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
    if (awaited <= 0 && next < messages.size()) {
      sendNext(ctx);
    }
  }

  private void sendNext(ChannelHandlerContext ctx) {
    awaited += replies.get(next).length;
    ctx.writeAndFlush(Unpooled.wrappedBuffer(messages.get(next++)));
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
