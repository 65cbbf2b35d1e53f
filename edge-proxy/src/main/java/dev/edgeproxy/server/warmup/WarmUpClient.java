package dev.edgeproxy.server.warmup;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
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
 * (the client then closes too), or, for a client that resets, at once after the last reply: real
 * clients often close with bytes still in flight (a TLS close_notify), so the proxy sees a reset, and
 * code compiled without ever seeing one is thrown away at the first. A connection that ends before
 * every reply came back failed.
 */
final class WarmUpClient extends ChannelInboundHandlerAdapter {
  private final List<byte[]> messages;
  private final List<byte[]> replies;
  private final boolean proxyHeader;
  private final boolean resetAtEnd;
  private final Consumer<Boolean> done;
  private int next;
  private int awaited;

  /**
   * @param proxyHeader whether to send a PROXY v2 header first (an encoder must be in the pipeline)
   * @param resetAtEnd whether to close with a reset once the last reply is in
   * @param done called once, when the connection is closed: whether every reply came back
   */
  WarmUpClient(
      WarmUpHello.Exchange exchange, boolean proxyHeader, boolean resetAtEnd, Consumer<Boolean> done) {
    this.messages = exchange.clientSends();
    this.replies = exchange.serverReplies();
    this.proxyHeader = proxyHeader;
    this.resetAtEnd = resetAtEnd;
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
    if (awaited > 0) {
      return;
    }
    if (next < messages.size()) {
      sendNext(ctx);
    } else if (resetAtEnd) {
      ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
      ctx.close();
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
