package dev.edgeproxy.sni;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Sits on the client channel while a backend connection is being made: tries the candidates in
 * order on the client's own event loop, holds the client's bytes meanwhile, then writes the PROXY
 * header and those bytes to the backend and replaces itself with the relay.
 */
final class UpstreamConnector extends ChannelInboundHandlerAdapter {
  static final String REASON_NO_BACKEND = "no_backend";

  /** Bootstrap requires a handler; the relay is added only once a candidate answers. */
  private static final ChannelHandler NO_HANDLER =
      new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {}
      };

  private final ConnectionTracker tracker;
  private final RouteDecision.Forward decision;
  private final Duration idleTimeout;
  private final RouterEvents events;
  private final ChannelFactory<? extends Channel> channelFactory;
  /** Bytes already read from the client, replayed first: the peeked hello plus any late reads. */
  private CompositeByteBuf pending;
  private ByteBuf initial;
  private int next;
  private Channel attempt;
  private boolean clientInputShutdown;
  private boolean done;

  UpstreamConnector(
      ConnectionTracker tracker,
      RouteDecision.Forward decision,
      ByteBuf alreadyRead,
      Duration idleTimeout,
      RouterEvents events,
      ChannelFactory<? extends Channel> channelFactory) {
    this.tracker = tracker;
    this.decision = decision;
    this.initial = alreadyRead;
    this.idleTimeout = idleTimeout;
    this.events = events;
    this.channelFactory = channelFactory;
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
    connectNext(ctx);
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
      if (attempt != null) {
        attempt.close();
      }
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    tracker.fail("io_error");
    ctx.close();
  }

  private void connectNext(ChannelHandlerContext ctx) {
    List<Upstream> candidates = decision.candidates();
    if (next >= candidates.size()) {
      done = true;
      tracker.fail(REASON_NO_BACKEND);
      ctx.close();
      return;
    }
    Upstream upstream = candidates.get(next++);
    Channel inbound = ctx.channel();
    long started = System.nanoTime();
    ChannelFuture connect;
    try {
      connect =
          new Bootstrap()
              .group(inbound.eventLoop()) // same loop: no locks between the two channels
              .channelFactory(channelFactory)
              .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis())
              .option(ChannelOption.AUTO_READ, false)
              .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
              .option(ChannelOption.TCP_NODELAY, true)
              .handler(NO_HANDLER)
              .connect(upstream.address());
    } catch (RuntimeException e) {
      connectFailed(ctx, upstream, e);
      return;
    }
    attempt = connect.channel();
    connect.addListener(
        (ChannelFuture f) -> {
          attempt = null;
          if (!f.isSuccess()) {
            if (!done) { // an attempt we cancelled because the client left is not the endpoint's fault
              connectFailed(ctx, upstream, f.cause());
            }
            return;
          }
          Channel outbound = f.channel();
          upstream.connected();
          outbound.closeFuture().addListener(closed -> upstream.released());
          if (done) {
            outbound.close(); // the client left while we were connecting
            return;
          }
          events.backendConnected(tracker.info(), decision.pool(), upstream, System.nanoTime() - started);
          tracker.connectedTo(upstream.label());
          startRelay(ctx, outbound);
        });
  }

  private void connectFailed(ChannelHandlerContext ctx, Upstream upstream, Throwable cause) {
    upstream.connectFailed(cause);
    events.backendConnectFailed(tracker.info(), decision.pool(), upstream, cause);
    connectNext(ctx);
  }

  private void startRelay(ChannelHandlerContext ctx, Channel outbound) {
    done = true;
    Channel inbound = ctx.channel();
    Relay relay = new Relay(inbound, outbound, tracker);
    outbound.pipeline().addLast(PipelineNames.RELAY, new RelayHandler(relay, false));

    HAProxyMessage header;
    try {
      header = ProxyHeaders.message(decision.proxyHeader(), tracker.info(), decision.host());
    } catch (IllegalArgumentException e) {
      tracker.closeReason("proxy_header");
      relay.closeBoth();
      return;
    }
    if (header != null) {
      // Armeria's HAProxyHandler pattern: the encoder is in the pipeline only for this one write.
      ChannelPipeline backend = outbound.pipeline();
      backend.addFirst(PipelineNames.PROXY_ENCODER, HAProxyMessageEncoder.INSTANCE);
      outbound.write(header, outbound.voidPromise()); // the encoder releases the message
      backend.remove(PipelineNames.PROXY_ENCODER);
    }
    ByteBuf replay = pending;
    pending = null; // ownership goes to the backend's outbound buffer
    outbound.writeAndFlush(replay, outbound.voidPromise());

    ChannelPipeline client = inbound.pipeline();
    client.replace(this, PipelineNames.RELAY, new RelayHandler(relay, true));
    client.addBefore(
        PipelineNames.RELAY,
        PipelineNames.IDLE,
        new IdleStateHandler(0, 0, idleTimeout.toNanos(), TimeUnit.NANOSECONDS));
    events.connectionForwarded(tracker.info(), decision.host(), decision.pool(), relay);

    if (clientInputShutdown) {
      relay.inputShutdown(inbound);
    } else {
      inbound.config().setAutoRead(outbound.isWritable());
    }
    outbound.config().setAutoRead(true);
  }

  private int connectTimeoutMillis() {
    long millis = decision.connectTimeout().toMillis();
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, millis));
  }
}
