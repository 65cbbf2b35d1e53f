package dev.edgeproxy.sni;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import java.util.concurrent.TimeUnit;

/**
 * Closing a client socket without losing what was sent to it, for the relay and the HTTP frontend's
 * local replies alike. Closing a socket whose receive queue still holds bytes (a TLS close_notify, a
 * pipelined request) makes the kernel answer with a reset, and a reset makes the client's kernel
 * discard response bytes its application has not read yet. So, as nginx's lingering close does:
 * flush, send our FIN, read and drop whatever the peer still sends until it closes its side or
 * {@link #LINGER_MILLIS} pass, then close.
 *
 * <p>While it lingers the channel reads again, and the handler in its pipeline must drop what
 * arrives ({@link RelayHandler} does once the peer is gone) and close on the peer's FIN
 * ({@code ChannelInputShutdownEvent}).
 */
final class LingeringClose {
  /** How long a half-closed side may keep sending before it is closed anyway. */
  static final long LINGER_MILLIS = 2000;

  /** Flushes what is queued for {@code channel}, shuts its output, then closes it as above. */
  static void close(Channel channel) {
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
                  duplex.shutdownOutput().addListener((ChannelFutureListener) shut -> linger(channel, shut.isSuccess()));
                });
  }

  private static void linger(Channel channel, boolean outputShut) {
    if (!outputShut) {
      channel.close();
      return;
    }
    channel.config().setAutoRead(true); // the pipeline drops what still arrives
    channel.eventLoop().schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Closes {@code channel} once what is queued for it is written (at once if it is inactive). */
  static void closeOnFlush(Channel channel) {
    if (channel.isActive()) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else {
      channel.close();
    }
  }

  private LingeringClose() {}
}
