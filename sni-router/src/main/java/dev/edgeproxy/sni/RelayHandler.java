package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * Relays what its channel reads to the peer channel, one instance per direction. Backpressure
 * follows the peer's writability: a channel stops reading while its peer cannot take more.
 */
final class RelayHandler extends ChannelInboundHandlerAdapter {
  private final Relay relay;
  /** True on the client side: what it reads counts as bytesIn, else as bytesOut. */
  private final boolean fromClient;

  RelayHandler(Relay relay, boolean fromClient) {
    this.relay = relay;
    this.fromClient = fromClient;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Channel peer = relay.peerOf(ctx.channel());
    if (!peer.isActive()) {
      ReferenceCountUtil.release(msg);
      return;
    }
    relay.readActivity();
    if (msg instanceof ByteBuf bytes) {
      if (fromClient) {
        relay.tracker().countIn(bytes.readableBytes());
      } else {
        relay.tracker().countOut(bytes.readableBytes());
      }
    }
    // Ownership passes to the peer's outbound buffer; the relay counts the bytes in the memory
    // budget until they are written out, and closes both if the write fails. Flushed at once, as
    // nginx and HAProxy do: while the peer's socket takes the bytes nothing stays queued, so the
    // peer stays writable and Netty's read loop goes on reading in this wake-up; only a full socket
    // leaves bytes queued, and past the high-water mark (see Relay) reading stops.
    relay.write(peer, msg);
    peer.flush();
    if (!peer.isWritable()) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    relay.peerOf(ctx.channel()).flush(); // what else was written during the read loop (spliced regions)
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    // As Velocity's BackendPlaySessionHandler: the peer reads only while we can take its bytes.
    relay.readWhile(relay.peerOf(ctx.channel()), ctx.channel().isWritable());
    relay.writabilityChanged();
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      relay.inputShutdown(ctx.channel());
    } else if (evt instanceof IdleStateEvent) {
      relay.idle();
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    relay.inactive(ctx.channel());
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    relay.failed();
  }
}
