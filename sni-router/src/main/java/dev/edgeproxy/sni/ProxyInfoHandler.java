package dev.edgeproxy.sni;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Takes the PROXY header that {@code HAProxyMessageDecoder} decoded from the load balancer in front
 * and makes its addresses the connection's, then removes itself. A missing or garbled header
 * closes the connection ({@code bad_proxy_header}).
 */
final class ProxyInfoHandler extends ChannelInboundHandlerAdapter {
  static final String REASON_BAD_PROXY_HEADER = "bad_proxy_header";

  private final ConnectionTracker tracker;

  ProxyInfoHandler(ConnectionTracker tracker) {
    this.tracker = tracker;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HAProxyMessage header)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      InetSocketAddress client = address(header.proxiedProtocol(), header.sourceAddress(), header.sourcePort());
      InetSocketAddress local =
          address(header.proxiedProtocol(), header.destinationAddress(), header.destinationPort());
      // LOCAL (health checks) and UNKNOWN/UNIX carry no usable client: keep the socket's addresses.
      if (header.command() == HAProxyCommand.PROXY && client != null && local != null) {
        tracker.open(client, local);
      } else {
        tracker.open();
      }
    } finally {
      header.release();
    }
    ctx.pipeline().remove(this);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof DecoderException) {
      // HAProxyMessageDecoder has already closed the channel; this tags why.
      tracker.refuse(REASON_BAD_PROXY_HEADER, null);
      ctx.close();
      return;
    }
    ctx.fireExceptionCaught(cause);
  }

  private static InetSocketAddress address(HAProxyProxiedProtocol protocol, String text, int port) {
    if (protocol != HAProxyProxiedProtocol.TCP4 && protocol != HAProxyProxiedProtocol.TCP6 || text == null) {
      return null;
    }
    // A literal parse, never a DNS lookup on the event loop.
    InetAddress address = NetUtil.createInetAddressFromIpAddressString(text);
    return address == null ? null : new InetSocketAddress(address, port);
  }
}
