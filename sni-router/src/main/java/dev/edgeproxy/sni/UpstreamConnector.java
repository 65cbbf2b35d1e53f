package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;

/**
 * Sits on the client channel while {@link CandidateDialer} makes the backend connection (candidates
 * in order, PROXY header), holds the client's bytes meanwhile, then writes those bytes to the
 * backend and replaces itself with the relay.
 */
final class UpstreamConnector extends ChannelInboundHandlerAdapter {
  static final String REASON_NO_BACKEND = "no_backend";

  private final ConnectionTracker tracker;
  private final RouteDecision.Forward decision;
  private final Duration idleTimeout;
  private final Duration halfClosedTimeout;
  private final RouterEvents events;
  /** Bytes already read from the client, replayed first: the peeked hello plus any late reads. */
  private CompositeByteBuf pending;
  private ByteBuf initial;
  /** Cancels the connect attempt under way, if any. */
  private Runnable cancelDial;
  private boolean clientInputShutdown;
  private boolean done;

  UpstreamConnector(
      ConnectionTracker tracker,
      RouteDecision.Forward decision,
      ByteBuf alreadyRead,
      Duration idleTimeout,
      Duration halfClosedTimeout,
      RouterEvents events) {
    this.tracker = tracker;
    this.decision = decision;
    this.initial = alreadyRead;
    this.idleTimeout = idleTimeout;
    this.halfClosedTimeout = halfClosedTimeout;
    this.events = events;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    pending = ctx.alloc().compositeBuffer();
    pending.addComponent(true, initial); // ownership of the caller's bytes moves into pending
    initial = null;
    if (!ctx.channel().isActive()) {
      done = true;
      ctx.close();
      return;
    }
    cancelDial =
        CandidateDialer.INSTANCE.dial(
            ctx.channel(),
            tracker,
            decision,
            outbound -> startRelay(ctx, outbound),
            () -> {
              done = true;
              tracker.fail(REASON_NO_BACKEND);
              ctx.close();
            });
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (initial != null) {
      initial.release();
      initial = null;
    }
    if (pending != null) {
      pending.release();
      pending = null;
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    // AUTO_READ is off while connecting, but a read already in progress may still deliver.
    if (!done && msg instanceof ByteBuf bytes) {
      tracker.countIn(bytes.readableBytes());
      pending.addComponent(true, bytes);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      clientInputShutdown = true; // passed on once the relay runs
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!done) {
      done = true;
      tracker.fail("client_closed");
      if (cancelDial != null) {
        cancelDial.run();
      }
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    tracker.fail("io_error");
    ctx.close();
  }

  private void startRelay(ChannelHandlerContext ctx, Channel outbound) {
    done = true;
    Channel inbound = ctx.channel();
    Relay relay = new Relay(inbound, outbound, tracker);
    outbound.pipeline().addLast(PipelineNames.RELAY, new RelayHandler(relay, false));

    ByteBuf replay = pending;
    pending = null; // ownership goes to the backend's outbound buffer
    relay.write(outbound, replay);
    outbound.flush();

    ChannelPipeline client = inbound.pipeline();
    client.replace(this, PipelineNames.RELAY, new RelayHandler(relay, true));
    relay.startTimers(idleTimeout, halfClosedTimeout);
    events.connectionForwarded(tracker.info(), decision.host(), decision.pool(), relay);

    if (clientInputShutdown) {
      relay.inputShutdown(inbound);
    } else {
      inbound.config().setAutoRead(outbound.isWritable());
    }
    outbound.config().setAutoRead(true);
  }
}
