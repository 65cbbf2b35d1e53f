package dev.edgeproxy.sni;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * On the backend channel of an HTTP listener's connection, behind the client codec: hands each
 * response message to the client side's {@link HttpFrontendHandler}, which owns the exchange state.
 */
final class HttpBackendHandler extends ChannelInboundHandlerAdapter {
  private final HttpFrontendHandler frontend;

  HttpBackendHandler(HttpFrontendHandler frontend) {
    this.frontend = frontend;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    frontend.backendRead(msg); // ownership passes to the frontend
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    frontend.backendReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    frontend.backendWritabilityChanged();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      // The backend finished sending (the codec has already ended a close-delimited body): an
      // HTTP backend that half-closes is done with this connection.
      ctx.close();
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    frontend.backendInactive(ctx.channel());
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    frontend.backendBroken();
  }
}
