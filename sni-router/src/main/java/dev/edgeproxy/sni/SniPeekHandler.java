package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Peeks the ClientHello: buffers the client's first bytes, parses them, bounds the wait and the
 * size, asks the {@link RouteResolver}, then either refuses or, as Netty's {@code SniHandler} does,
 * fires its decision down the pipeline ({@link HelloForwarded}, with the untouched bytes) and
 * removes itself; the {@link UpstreamConnector} after it acts on it. It never connects anywhere and
 * never counts metrics.
 */
final class SniPeekHandler extends ChannelInboundHandlerAdapter implements MemoryBudget.Sheddable {

  private final Duration clientHelloTimeout;
  private final int maxClientHelloBytes;
  private final RouteResolver resolver;
  private final RouterEvents events;
  private final ConnectionTracker tracker;
  private final ClientHelloParser parser;
  /**
   * Every byte read so far, untouched: it is replayed to the backend byte for byte. Allocated at the
   * first byte and grown with what arrives, its capacity reserved in the listener's {@link
   * MemoryBudget}: a connection that sends nothing holds no buffer.
   */
  private ByteBuf cumulation;
  private MemoryBudget budget = MemoryBudget.UNLIMITED;
  /** The capacity of {@link #cumulation} reserved in {@link #budget}; read by a shedding thread. */
  private volatile long reserved;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> timeout;
  private boolean decided;

  SniPeekHandler(
      Duration clientHelloTimeout,
      int maxClientHelloBytes,
      RouteResolver resolver,
      RouterEvents events,
      ConnectionTracker tracker) {
    this.clientHelloTimeout = clientHelloTimeout;
    this.maxClientHelloBytes = maxClientHelloBytes;
    this.resolver = resolver;
    this.events = events;
    this.tracker = tracker;
    this.parser = new ClientHelloParser(maxClientHelloBytes);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    budget = MemoryBudget.of(ctx.channel());
    // The timeout counts from accept, so the time spent on an incoming PROXY header counts too.
    long remaining = clientHelloTimeout.toNanos() - (System.nanoTime() - tracker.startNanos());
    timeout = ctx.executor().schedule(() -> onTimeout(ctx), Math.max(0, remaining), TimeUnit.NANOSECONDS);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancelTimeout();
    releaseHello();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (decided || !(msg instanceof ByteBuf in)) {
      // Late bytes after a refusal (or a stray message) are dropped: nothing of a refused
      // connection goes anywhere.
      ReferenceCountUtil.release(msg);
      return;
    }
    try {
      tracker.countIn(in.readableBytes());
      if (!makeRoom(ctx, in.readableBytes())) {
        reject(ctx, Reason.MEMORY_BUDGET);
        return;
      }
      cumulation.writeBytes(in);
    } finally {
      in.release();
    }
    ClientHelloParser.Result result = parser.parse(cumulation);
    switch (result.status()) {
      case NEED_MORE -> {
        // The parser already knows when the hello cannot fit; this also bounds what we hold.
        if (cumulation.readableBytes() >= maxClientHelloBytes) {
          reject(ctx, Reason.TOO_LARGE);
        }
      }
      case ERROR -> reject(ctx, result.error());
      case COMPLETE -> decide(ctx, result.hello());
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent && !decided) {
      // The client half-closed before a whole hello: it can never complete.
      decided = true;
      cancelTimeout();
      tracker.fail(Reason.CLIENT_CLOSED);
      ctx.close();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    decided = true;
    cancelTimeout();
    releaseHello();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A reset or read error while peeking: nothing else to do with this connection.
    tracker.fail(Reason.IO_ERROR);
    ctx.close();
  }

  private void onTimeout(ChannelHandlerContext ctx) {
    if (!decided) {
      reject(ctx, Reason.TIMEOUT);
    }
  }

  private void reject(ChannelHandlerContext ctx, Reason reason) {
    finishPeek(ctx, true);
    releaseHello();
    tracker.refuse(reason, null);
    if (reason == Reason.MALFORMED) {
      // It is TLS but broken: answer as a TLS server would, so the client reports a decode error
      // instead of a reset. Non-TLS bytes, timeouts and oversize hellos get a plain close.
      ctx.writeAndFlush(TlsAlerts.decodeError()).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.close();
    }
  }

  private void decide(ChannelHandlerContext ctx, ClientHelloInfo hello) {
    ConnectionInfo connection = tracker.info();
    RouteRequest request =
        new RouteRequest(connection, hello.serverName(), hello.alpn(), hello.encryptedClientHello());
    events.clientHelloParsed(connection, request, System.nanoTime() - tracker.startNanos());
    tracker.host(hello.serverName());
    RouteDecision decision;
    try {
      decision = resolver.resolve(request);
    } catch (RuntimeException e) {
      decision = null;
    }
    finishPeek(ctx, !(decision instanceof RouteDecision.Forward));
    if (decision instanceof RouteDecision.Forward forward) {
      ByteBuf replay = cumulation;
      cumulation = null; // ownership goes with the event, and so does its reservation
      long handed = reserved;
      reserved = 0;
      HelloForwarded forwarded = new HelloForwarded(forward, replay, handed);
      // Fired before the removal: no read can slip between (this is one call on the loop). Reading
      // stays on: a TLS client sends nothing more before the server's answer, and the connector
      // holds what a client sends anyway and stops reading then. Turning reads off here and on
      // again at relay start cost two epoll_ctl calls per connection.
      ctx.fireUserEventTriggered(forwarded);
      budget.release(forwarded.takeReservation()); // no connector took it over
      if (!ctx.isRemoved()) { // a connect that failed at once may have closed and torn it down
        ctx.pipeline().remove(this);
      }
    } else if (decision instanceof RouteDecision.Refuse refuse) {
      releaseHello();
      tracker.refuse(refuse.why(), refuse.host() != null ? refuse.host() : hello.serverName());
      if (refuse.alert()) {
        ctx.writeAndFlush(TlsAlerts.unrecognizedName()).addListener(ChannelFutureListener.CLOSE);
      } else {
        ctx.close();
      }
    } else {
      tracker.fail(Reason.RESOLVER_ERROR);
      ctx.close();
    }
  }

  /**
   * Stops timing, and reading if asked (a refusal: nothing more of the client is wanted); the bytes
   * stay in {@link #cumulation} until forwarded or released.
   */
  private void finishPeek(ChannelHandlerContext ctx, boolean stopReading) {
    decided = true;
    cancelTimeout();
    budget.unstalled(this);
    if (stopReading) {
      ctx.channel().config().setAutoRead(false);
    }
  }

  /**
   * Makes {@code incoming} more bytes fit in {@link #cumulation}: the first read allocates just
   * what arrived, later ones grow it by doubling up to the hello cap (or to what is needed beyond
   * it, which the cap check then refuses). False when the budget cannot take the growth.
   */
  private boolean makeRoom(ChannelHandlerContext ctx, int incoming) {
    int needed = (cumulation == null ? 0 : cumulation.readableBytes()) + incoming;
    int capacity = cumulation == null ? 0 : cumulation.capacity();
    if (needed <= capacity) {
      return true;
    }
    int grown = cumulation == null ? needed : Math.max(needed, Math.min(capacity * 2, maxClientHelloBytes));
    if (!budget.tryReserve(grown - capacity)) {
      return false;
    }
    if (cumulation == null) {
      cumulation = ctx.alloc().buffer(grown);
      budget.stalled(this); // from its first byte until decided, a hello can be shed
    } else {
      cumulation.capacity(grown);
    }
    reserved = grown;
    return true;
  }

  private void releaseHello() {
    budget.unstalled(this);
    if (cumulation != null) {
      cumulation.release();
      cumulation = null;
    }
    giveBackReservation();
  }

  private void giveBackReservation() {
    long held = reserved;
    if (held > 0) {
      reserved = 0;
      budget.release(held);
    }
  }

  @Override
  public long stalledSinceNanos() {
    return tracker.startNanos();
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
    if (decided) {
      return false;
    }
    finishPeek(ctx, true);
    releaseHello();
    tracker.refuse(Reason.MEMORY_SHED, null);
    ctx.close();
    return true;
  }

  private void cancelTimeout() {
    if (timeout != null) {
      timeout.cancel(false);
      timeout = null;
    }
  }
}
