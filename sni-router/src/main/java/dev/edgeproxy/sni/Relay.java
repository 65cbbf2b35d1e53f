package dev.edgeproxy.sni;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;

/**
 * The state both {@link RelayHandler}s of one forwarded connection share: which side stopped
 * sending, and how the pair ends. Both channels live on the same event loop, so no locks.
 */
final class Relay implements ConnectionHandle {
  private final Channel inbound;
  private final Channel outbound;
  private final ConnectionTracker tracker;
  /** Output shut down after the other side's input ended: one per direction. */
  private boolean inboundOutputShut;
  private boolean outboundOutputShut;

  Relay(Channel inbound, Channel outbound, ConnectionTracker tracker) {
    this.inbound = inbound;
    this.outbound = outbound;
    this.tracker = tracker;
  }

  Channel inbound() {
    return inbound;
  }

  Channel outbound() {
    return outbound;
  }

  ConnectionTracker tracker() {
    return tracker;
  }

  Channel peerOf(Channel channel) {
    return channel == inbound ? outbound : inbound;
  }

  /** {@code source} will send nothing more: pass the FIN on once what it sent is flushed. */
  void inputShutdown(Channel source) {
    Channel peer = peerOf(source);
    if (!(peer instanceof DuplexChannel duplex) || !peer.isActive()) {
      closeOnFlush(peer);
      return;
    }
    // shutdownOutput fails writes still queued, so it waits for them: writes complete in order.
    peer.writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(
            (ChannelFutureListener)
                flushed -> {
                  if (!flushed.isSuccess()) {
                    closeBoth();
                    return;
                  }
                  duplex.shutdownOutput().addListener((ChannelFutureListener) shut -> outputShut(peer, shut.isSuccess()));
                });
  }

  private void outputShut(Channel channel, boolean success) {
    if (!success) {
      closeBoth();
      return;
    }
    if (channel == inbound) {
      inboundOutputShut = true;
    } else {
      outboundOutputShut = true;
    }
    if (inboundOutputShut && outboundOutputShut) {
      closeBoth(); // both directions are done
    }
  }

  /** One side is gone: let the other receive what is already queued for it, then close it. */
  void inactive(Channel channel) {
    closeOnFlush(peerOf(channel));
  }

  /** No bytes either way for the idle timeout. */
  void idle() {
    tracker.closeReason("idle_timeout");
    closeBoth();
  }

  void failed() {
    tracker.closeReason("io_error");
    closeBoth();
  }

  /** Safe from any thread: hops to the connection's event loop. */
  @Override
  public void close(String reason) {
    if (inbound.eventLoop().inEventLoop()) {
      tracker.closeReason(reason);
      closeBoth();
    } else {
      inbound.eventLoop().execute(() -> close(reason));
    }
  }

  void closeBoth() {
    inbound.close();
    outbound.close();
  }

  private static void closeOnFlush(Channel channel) {
    if (channel.isActive()) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else {
      channel.close();
    }
  }
}
