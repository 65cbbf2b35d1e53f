package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;

/**
 * First handler of an HTTP listener's client channel: counts the raw bytes both ways for the
 * access log (the codec behind it only sees messages). Removed when the connection becomes a raw
 * tunnel, where the relay counts.
 */
final class HttpByteCounter extends ChannelDuplexHandler {
  private final ConnectionTracker tracker;
  private long bytesIn;

  HttpByteCounter(ConnectionTracker tracker) {
    this.tracker = tracker;
  }

  /** Bytes read from the client so far (the head timeout uses it to tell a partial head). */
  long bytesIn() {
    return bytesIn;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf bytes) {
      bytesIn += bytes.readableBytes();
      tracker.countIn(bytes.readableBytes());
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf bytes) {
      tracker.countOut(bytes.readableBytes());
    }
    ctx.write(msg, promise);
  }
}
