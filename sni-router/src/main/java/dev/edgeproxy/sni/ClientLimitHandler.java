package dev.edgeproxy.sni;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;

/**
 * The one place that applies the per-client limit. It sits after the inbound PROXY decoder, so it
 * counts the real client: without a PROXY header it counts the socket's address as soon as it is
 * added (before the first read); with one, the reported address the moment {@link
 * ProxyInfoHandler} has decoded it ({@link ProxyInfoHandler#CLIENT_KNOWN}), before the ClientHello
 * or request. A client over its limit is closed at once ({@code limit}); an admitted one gives its
 * slot back when the channel closes, and the handler removes itself.
 */
final class ClientLimitHandler extends ChannelInboundHandlerAdapter {

  private final ClientLimit limit;
  private final ConnectionTracker tracker;
  private final boolean waitForProxyHeader;
  private boolean refused;

  /**
   * @param waitForProxyHeader whether the client address comes from a PROXY header still to be
   *     decoded (then counting waits for it)
   */
  ClientLimitHandler(ClientLimit limit, ConnectionTracker tracker, boolean waitForProxyHeader) {
    this.limit = limit;
    this.tracker = tracker;
    this.waitForProxyHeader = waitForProxyHeader;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (!waitForProxyHeader) {
      admit(ctx);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == ProxyInfoHandler.CLIENT_KNOWN) {
      admit(ctx);
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (refused) {
      // Bytes that came in the same read as the header of a refused client: dropped unread.
      ReferenceCountUtil.release(msg);
      return;
    }
    ctx.fireChannelRead(msg);
  }

  private void admit(ChannelHandlerContext ctx) {
    InetAddress client = tracker.info().client().getAddress();
    if (limit.tryAcquire(client)) {
      ctx.channel().closeFuture().addListener(f -> limit.release(client));
      ctx.pipeline().remove(this);
    } else {
      refused = true;
      tracker.refuse(Reason.LIMIT, null);
      ctx.close();
    }
  }
}
