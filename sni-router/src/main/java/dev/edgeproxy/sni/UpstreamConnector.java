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
import java.util.concurrent.Executor;

/**
 * Acts on the peek's {@link HelloForwarded}: tags the connection forwarded (or would_refuse), has
 * the {@link Dialer} connect to the candidates and write the PROXY header, holds the client's bytes
 * meanwhile (reading stays on until the client sends more, and then stops), then writes them to the
 * backend in the header's flush and replaces itself with the relay. Until the event it passes
 * everything on untouched.
 *
 * <p>What it holds counts in the listener's {@link MemoryBudget}, from the peek's reservation it
 * takes over to the relay's it hands on; while the dial is pending the connection moves no byte,
 * so it can be shed. Everything runs on the client's event loop but the getters the budget's
 * shedding reads.
 */
final class UpstreamConnector extends ChannelInboundHandlerAdapter implements MemoryBudget.Sheddable {
  private final Dialer dialer;
  private final ConnectionTracker tracker;
  private final Duration idleTimeout;
  private final Duration halfClosedTimeout;
  private RouteDecision.Forward decision;
  private ChannelHandlerContext ctx;
  private MemoryBudget budget = MemoryBudget.UNLIMITED;
  /** Bytes read from the client, replayed first: the peeked hello plus any late reads. */
  private CompositeByteBuf pending;
  /** What {@link #pending} holds in {@link #budget}; read by a shedding thread. */
  private volatile long reserved;
  /** When the dial started to wait; read by a shedding thread. */
  private volatile long connectingSince;
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
    this.ctx = ctx;
    decision = forwarded.decision();
    budget = MemoryBudget.of(ctx.channel());
    pending = ctx.alloc().compositeBuffer();
    pending.addComponent(true, forwarded.content()); // the event's bytes move into pending
    reserved = forwarded.takeReservation(); // and their reservation with them
    tracker.forwarding(decision);
    Channel inbound = ctx.channel();
    inbound.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    if (!inbound.isActive()) {
      finish();
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
              finish();
              tracker.fail(Reason.NO_BACKEND);
              ctx.close();
            });
    if (!done) {
      // A client that sent its bytes and a backend that does not answer within the connect
      // timeout: memory held without moving, as an incomplete hello's. Registered once the dial
      // waits, so that a dial decided at once costs the budget's shared set nothing.
      connectingSince = System.nanoTime();
      budget.stalled(this);
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releasePending();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (decision == null) {
      ctx.fireChannelRead(msg); // the peek has not decided yet: not ours
    } else if (!done && msg instanceof ByteBuf bytes) {
      // The client spoke before the backend answered (a TLS client normally waits for the
      // server's hello; 0-RTT data does not): hold this read, and read no more until the relay
      // runs, so what a client can make us hold while connecting is bounded by one read.
      ctx.channel().config().setAutoRead(false);
      tracker.countIn(bytes.readableBytes());
      // It holds its whole buffer, as the allocator guessed it. Like a hello's bytes (and unlike
      // relayed ones, always taken so as not to cut a working stream) it is refused when it would
      // take the budget over its limit: nothing reached a backend yet, the client only retries.
      if (!budget.tryReserve(bytes.capacity())) {
        bytes.release();
        cutWhileConnecting(Reason.MEMORY_BUDGET);
        return;
      }
      reserved += bytes.capacity();
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
      finish();
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
    budget.unstalled(this);
    Channel inbound = ctx.channel();
    Relay relay = new Relay(inbound, outbound, tracker);
    ByteBuf replay = pending;
    long handed = reserved;
    pending = null; // ownership goes to the backend's outbound buffer
    reserved = 0; // and the relay counts the bytes until they are written out
    relay.install(ctx, replay, handed);
    relay.startTimers(idleTimeout, halfClosedTimeout);
    tracker.events().connectionForwarded(tracker.info(), decision.host(), decision.pool(), relay);
    relay.startReading(clientInputShutdown);
  }

  /** Stops the dial and closes the client: nothing reached a backend. */
  private void cutWhileConnecting(Reason reason) {
    finish();
    if (cancelDial != null) {
      cancelDial.run();
    }
    tracker.fail(reason);
    ctx.close();
  }

  /** The connect is over without a relay: what was held goes back. */
  private void finish() {
    done = true;
    releasePending();
  }

  private void releasePending() {
    budget.unstalled(this);
    if (pending != null) {
      pending.release();
      pending = null;
    }
    long held = reserved;
    if (held > 0) {
      reserved = 0;
      budget.release(held);
    }
  }

  @Override
  public long stalledSinceNanos() {
    return connectingSince;
  }

  @Override
  public long heldBytes() {
    return reserved;
  }

  @Override
  public Executor executor() {
    return ctx.executor();
  }

  @Override
  public boolean shed() {
    if (done) {
      return false;
    }
    cutWhileConnecting(Reason.MEMORY_SHED);
    return true;
  }
}
