package dev.edgeproxy.sni;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * On the backend channel of an HTTP listener's connection, behind the client codec: hands each
 * response message to the connection's {@link HttpBackendSide}, which frames the exchange.
 */
final class HttpBackendHandler extends ChannelInboundHandlerAdapter {
  private final HttpBackendSide side;

  HttpBackendHandler(HttpBackendSide side) {
    this.side = side;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    side.read(msg); // ownership passes on
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    side.readComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    side.writabilityChanged();
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
    side.inactive(ctx.channel());
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    side.broken();
  }
}
