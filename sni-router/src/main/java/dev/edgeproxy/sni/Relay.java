package dev.edgeproxy.sni;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import java.util.concurrent.TimeUnit;

/**
 * The state both {@link RelayHandler}s of one forwarded connection share: which side stopped
 * sending, and how the pair ends. Both channels live on the same event loop, so no locks.
 */
final class Relay implements ConnectionHandle {
  /** How long a half-closed side may keep sending before it is closed anyway. */
  static final long LINGER_MILLIS = 2000;

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
    if (!peer.isActive()) {
      // Nothing can be relayed either way any more.
      lingeringClose(source);
      return;
    }
    if (!(peer instanceof DuplexChannel duplex)) {
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
    lingeringClose(peerOf(channel));
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

  /**
   * Closes {@code channel} without losing what was sent to it. Closing a socket whose receive
   * queue still holds bytes (a TLS close_notify, a pipelined request) makes the kernel answer with
   * a reset, and a reset makes the client's kernel discard response bytes its application has not
   * read yet. So, as nginx's lingering close does: flush, send our FIN, read and drop whatever the
   * peer still sends until it closes its side or {@link #LINGER_MILLIS} pass, then close.
   */
  private static void lingeringClose(Channel channel) {
    if (!(channel instanceof DuplexChannel duplex) || !channel.isActive()) {
      closeOnFlush(channel);
      return;
    }
    channel
        .writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(
            (ChannelFutureListener)
                flushed -> {
                  if (!flushed.isSuccess() || duplex.isInputShutdown()) {
                    channel.close(); // after the peer's FIN nothing more can arrive
                    return;
                  }
                  duplex
                      .shutdownOutput()
                      .addListener(
                          (ChannelFutureListener)
                              shut -> {
                                if (!shut.isSuccess()) {
                                  channel.close();
                                  return;
                                }
                                channel.config().setAutoRead(true); // RelayHandler drops reads now
                                channel
                                    .eventLoop()
                                    .schedule(
                                        () -> channel.close(),
                                        LINGER_MILLIS,
                                        TimeUnit.MILLISECONDS);
                              });
                });
  }

  private static void closeOnFlush(Channel channel) {
    if (channel.isActive()) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else {
      channel.close();
    }
  }
}
