package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelOption;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.time.Duration;
import java.util.Objects;

/**
 * Forwards an accepted client connection to a backend: the upstream connect, the PROXY header,
 * the replay of the bytes already read, and the relay both ways. The TLS listener uses it after the
 * ClientHello peek; the HTTP listener uses it after reading a request head.
 *
 * <p>Example, in a handler on the client channel that has decided to forward:
 *
 * <pre>{@code
 * ctx.channel().config().setAutoRead(false);
 * ByteBuf head = this.cumulation; this.cumulation = null;   // ownership moves to the Forwarder
 * ctx.pipeline().remove(this);
 * Forwarder.forward(ctx.channel(), tracker, forward, head, idleTimeout);
 * }</pre>
 *
 * <p>What it does, on the client channel's event loop:
 *
 * <ol>
 *   <li>tags the tracker (forwarded, or would_refuse in shadow mode), stops reading the client
 *       (reads resume only once the backend can take bytes) and allows half-closure on it;
 *   <li>connects to {@code decision.candidates()} in order on the client's event loop with the
 *       client's transport (epoll, NIO, or any channel class with a public no-arg constructor),
 *       {@code decision.connectTimeout()} per attempt, reporting {@link Upstream#connected()},
 *       {@link Upstream#connectFailed}, {@link Upstream#released()} and the matching {@link
 *       RouterEvents} calls; when every candidate fails it closes the client ({@code no_backend});
 *   <li>writes the PROXY header of {@code decision.proxyHeader()}, then {@code alreadyRead} and
 *       anything read meanwhile, then relays both ways with backpressure, half-close and {@code
 *       idleTimeout}, and reports {@link RouterEvents#connectionForwarded} with a {@link
 *       ConnectionHandle}.
 * </ol>
 *
 * <p>The single {@link ConnectionRecord} is reported by the {@link ConnectionTracker} when the
 * client channel has closed.
 */
public final class Forwarder {

  /**
   * Starts forwarding. May be called from any thread (it hops to the client's event loop); the
   * caller must already have removed or disarmed its own handler so that nothing else reads the
   * client's bytes.
   *
   * @param inbound the client channel, active, with AUTO_READ off or about to be turned off
   * @param tracker the client channel's tracker (from {@link ConnectionTracker#accept})
   * @param decision where to and with which PROXY header
   * @param alreadyRead bytes read from the client that the backend must receive first; ownership
   *     is transferred in every case (released on failure); already counted as bytesIn by the caller
   * @param idleTimeout no byte either way for this long closes both sides
   */
  public static void forward(
      Channel inbound,
      ConnectionTracker tracker,
      RouteDecision.Forward decision,
      ByteBuf alreadyRead,
      Duration idleTimeout) {
    forward(inbound, tracker, decision, alreadyRead, idleTimeout, idleTimeout);
  }

  /**
   * As {@link #forward(Channel, ConnectionTracker, RouteDecision.Forward, ByteBuf, Duration)};
   * once either side has sent its FIN, no byte moving for {@code halfClosedTimeout} closes both.
   */
  public static void forward(
      Channel inbound,
      ConnectionTracker tracker,
      RouteDecision.Forward decision,
      ByteBuf alreadyRead,
      Duration idleTimeout,
      Duration halfClosedTimeout) {
    try {
      Objects.requireNonNull(inbound, "inbound");
      Objects.requireNonNull(tracker, "tracker");
      Objects.requireNonNull(decision, "decision");
      Objects.requireNonNull(alreadyRead, "alreadyRead");
      Objects.requireNonNull(idleTimeout, "idleTimeout");
      Objects.requireNonNull(halfClosedTimeout, "halfClosedTimeout");
    } catch (NullPointerException e) {
      if (alreadyRead != null) {
        alreadyRead.release();
      }
      throw e;
    }
    if (!inbound.eventLoop().inEventLoop()) {
      inbound
          .eventLoop()
          .execute(
              () -> forward(inbound, tracker, decision, alreadyRead, idleTimeout, halfClosedTimeout));
      return;
    }
    tracker.forwarding(decision);
    inbound.config().setAutoRead(false);
    inbound.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    RouterEvents events = tracker.events();
    inbound
        .pipeline()
        .addLast(
            PipelineNames.UPSTREAM_CONNECT,
            new UpstreamConnector(
                tracker, decision, alreadyRead, idleTimeout, halfClosedTimeout, events));
  }

  /**
   * The backend channel type for a client channel: the same transport, so that it can register with
   * the client's event loop.
   */
  static ChannelFactory<? extends Channel> channelFactoryFor(Channel inbound) {
    if (inbound instanceof EpollSocketChannel) {
      return EpollSocketChannel::new;
    }
    if (inbound instanceof NioSocketChannel) {
      return NioSocketChannel::new;
    }
    // e.g. IoUringSocketChannel: its public no-arg constructor makes a client channel.
    return new ReflectiveChannelFactory<>(inbound.getClass());
  }

  private Forwarder() {}
}
