package dev.edgeproxy.sni;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.Predicate;

/**
 * Takes the PROXY header that {@code HAProxyMessageDecoder} decoded from the load balancer in front
 * and makes its addresses the connection's, tells the handlers after it ({@link #CLIENT_KNOWN}),
 * then removes itself. A missing or garbled header closes the connection ({@code
 * bad_proxy_header}); a peer not trusted to send one is closed before anything is read ({@code
 * untrusted_proxy}).
 */
final class ProxyInfoHandler extends ChannelInboundHandlerAdapter {
  /** Fired once the connection's client address is the reported one (or the socket's, for LOCAL). */
  static final Object CLIENT_KNOWN = new Object();

  private final ConnectionTracker tracker;

  ProxyInfoHandler(ConnectionTracker tracker) {
    this.tracker = tracker;
  }

  /**
   * Adds the PROXY decoder and this handler to {@code ch}'s pipeline when its peer is one of the
   * load balancers ({@code trusted}); otherwise refuses the connection and closes it before the
   * first read, so a client that reaches the listener directly cannot choose its address.
   *
   * @return whether the connection goes on
   */
  static boolean install(Channel ch, ConnectionTracker tracker, Predicate<InetAddress> trusted) {
    if (!trusted.test(tracker.info().client().getAddress())) {
      tracker.refuse(Reason.UNTRUSTED_PROXY, null);
      ch.close();
      return false;
    }
    // The load balancer's header must come first; the decoder removes itself after one header
    // and passes the bytes after it on. Without a header the connection is closed.
    ch.pipeline().addLast(PipelineNames.PROXY_DECODER, new HAProxyMessageDecoder());
    ch.pipeline().addLast(PipelineNames.PROXY_INFO, new ProxyInfoHandler(tracker));
    return true;
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
    ctx.fireUserEventTriggered(CLIENT_KNOWN);
    ctx.pipeline().remove(this);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof DecoderException) {
      // HAProxyMessageDecoder has already closed the channel; this tags why.
      tracker.refuse(Reason.BAD_PROXY_HEADER, null);
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
