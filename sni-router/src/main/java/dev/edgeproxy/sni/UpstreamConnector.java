package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;

/**
 * Acts on the peek's {@link HelloForwarded}: tags the connection forwarded (or would_refuse), has
 * the {@link Dialer} connect to the candidates and write the PROXY header, holds the client's bytes
 * meanwhile (reading stays on until the client sends more, and then stops), then writes them to the backend in the header's flush and replaces itself with the
 * relay. Until the event it passes everything on untouched.
 */
final class UpstreamConnector extends ChannelInboundHandlerAdapter {
  private final Dialer dialer;
  private final ConnectionTracker tracker;
  private final Duration idleTimeout;
  private final Duration halfClosedTimeout;
  private RouteDecision.Forward decision;
  /** Bytes read from the client, replayed first: the peeked hello plus any late reads. */
  private CompositeByteBuf pending;
  /** Cancels the connect attempt under way, if any. */
  private Runnable cancelDial;
  private boolean clientInputShutdown;
  private boolean done;

  UpstreamConnector(
      Dialer dialer, ConnectionTracker tracker, Duration idleTimeout, Duration halfClosedTimeout) {
    this.dialer = dialer;
    this.tracker = tracker;
    this.idleTimeout = idleTimeout;
    this.halfClosedTimeout = halfClosedTimeout;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof HelloForwarded forwarded && decision == null) {
      start(ctx, forwarded);
    } else if (evt instanceof ChannelInputShutdownEvent && decision != null) {
      clientInputShutdown = true; // passed on once the relay runs
      ReferenceCountUtil.release(evt);
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  private void start(ChannelHandlerContext ctx, HelloForwarded forwarded) {
    decision = forwarded.decision();
    pending = ctx.alloc().compositeBuffer();
    pending.addComponent(true, forwarded.content()); // the event's bytes move into pending
    tracker.forwarding(decision);
    Channel inbound = ctx.channel();
    inbound.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    if (!inbound.isActive()) {
      done = true;
      ctx.close();
      return;
    }
    cancelDial =
        dialer.dial(
            inbound,
            tracker,
            decision,
            outbound -> startRelay(ctx, outbound),
            () -> {
              done = true;
              tracker.fail(Reason.NO_BACKEND);
              ctx.close();
            });
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (pending != null) {
      pending.release();
      pending = null;
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (decision == null) {
      ctx.fireChannelRead(msg); // the peek has not decided yet: not ours
    } else if (!done && msg instanceof ByteBuf bytes) {
      // The client spoke before the backend answered (a TLS client normally waits for the
      // server's hello): hold this read, and read no more until the relay runs, so what a client
      // can make us hold while connecting is bounded by one read.
      ctx.channel().config().setAutoRead(false);
      tracker.countIn(bytes.readableBytes());
      pending.addComponent(true, bytes);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (decision == null) {
      ctx.fireChannelInactive();
    } else if (!done) {
      done = true;
      tracker.fail(Reason.CLIENT_CLOSED);
      if (cancelDial != null) {
        cancelDial.run();
      }
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (decision == null) {
      ctx.fireExceptionCaught(cause);
      return;
    }
    tracker.fail(Reason.IO_ERROR);
    ctx.close();
  }

  private void startRelay(ChannelHandlerContext ctx, Channel outbound) {
    done = true;
    Channel inbound = ctx.channel();
    Relay relay = new Relay(inbound, outbound, tracker);
    ByteBuf replay = pending;
    pending = null; // ownership goes to the backend's outbound buffer
    relay.install(ctx, replay);
    relay.startTimers(idleTimeout, halfClosedTimeout);
    tracker.events().connectionForwarded(tracker.info(), decision.host(), decision.pool(), relay);
    relay.startReading(clientInputShutdown);
  }
}
