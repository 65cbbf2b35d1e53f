package dev.edgeproxy.sni;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import java.util.List;
import java.util.function.Consumer;

/**
 * Opens a client's backend connection: tries the decision's candidates in order, on the client's
 * event loop and with its transport, then writes the PROXY header (unflushed: the first bytes for
 * the backend go in the same flush) and hands the channel back. The TLS path ({@link
 * UpstreamConnector}) then installs the raw relay; the HTTP frontend keeps decoding requests.
 * Stateless: one instance serves every listener.
 */
final class CandidateDialer implements Dialer {
  static final CandidateDialer INSTANCE = new CandidateDialer();

  /**
   * The backend channel's only handler while it connects: an error then (a reset during the
   * handshake) closes it, which fails the connect and moves on to the next candidate, instead of
   * reaching the pipeline's tail as an unhandled exception. Removed before the channel is handed on.
   */
  @ChannelHandler.Sharable
  private static final class ConnectGuard extends ChannelInboundHandlerAdapter {
    static final ConnectGuard INSTANCE = new ConnectGuard();

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  @Override
  public Runnable dial(
      Channel inbound,
      ConnectionTracker tracker,
      RouteDecision.Forward decision,
      Consumer<Channel> connected,
      Runnable failed) {
    Attempt attempt =
        new Attempt(inbound, tracker, decision, connected, failed, channelFactoryFor(inbound));
    attempt.next();
    return attempt::cancel;
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

  private static final class Attempt {
    private final Channel inbound;
    private final ConnectionTracker tracker;
    private final RouteDecision.Forward decision;
    private final Consumer<Channel> connected;
    private final Runnable failed;
    private final ChannelFactory<? extends Channel> channelFactory;
    private int next;
    private Channel pending;
    private boolean cancelled;

    Attempt(
        Channel inbound,
        ConnectionTracker tracker,
        RouteDecision.Forward decision,
        Consumer<Channel> connected,
        Runnable failed,
        ChannelFactory<? extends Channel> channelFactory) {
      this.inbound = inbound;
      this.tracker = tracker;
      this.decision = decision;
      this.connected = connected;
      this.failed = failed;
      this.channelFactory = channelFactory;
    }

    void cancel() {
      cancelled = true;
      if (pending != null) {
        pending.close();
      }
    }

    void next() {
      List<Upstream> candidates = decision.candidates();
      if (cancelled) {
        return;
      }
      if (next >= candidates.size()) {
        failed.run();
        return;
      }
      Upstream upstream = candidates.get(next++);
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
                .handler(ConnectGuard.INSTANCE)
                .connect(upstream.address());
      } catch (RuntimeException e) {
        failedAttempt(upstream, e);
        return;
      }
      pending = connect.channel();
      connect.addListener(
          (ChannelFuture f) -> {
            pending = null;
            if (!f.isSuccess()) {
              if (!cancelled) { // a cancelled attempt is not the endpoint's fault
                failedAttempt(upstream, f.cause());
              }
              return;
            }
            Channel outbound = f.channel();
            upstream.connected();
            outbound.closeFuture().addListener(closed -> upstream.released());
            if (cancelled) {
              outbound.close();
              return;
            }
            tracker.events()
                .backendConnected(tracker.info(), decision.pool(), upstream, System.nanoTime() - started);
            tracker.connectedTo(upstream.label());
            outbound.pipeline().remove(ConnectGuard.INSTANCE);
            if (writeProxyHeader(outbound)) {
              connected.accept(outbound);
            } else {
              outbound.close();
              tracker.closeReason(Reason.PROXY_HEADER);
              failed.run();
            }
          });
    }

    private boolean writeProxyHeader(Channel outbound) {
      HAProxyMessage header;
      try {
        header = ProxyHeaders.message(decision.proxyHeader(), tracker.info(), decision.host());
      } catch (IllegalArgumentException e) {
        return false;
      }
      if (header != null) {
        // The encoder is in the pipeline only for this one write; the first request flushes it.
        ChannelPipeline p = outbound.pipeline();
        p.addFirst(PipelineNames.PROXY_ENCODER, HAProxyMessageEncoder.INSTANCE);
        outbound.write(header, outbound.voidPromise()); // the encoder releases the message
        p.remove(PipelineNames.PROXY_ENCODER);
      }
      return true;
    }

    private void failedAttempt(Upstream upstream, Throwable cause) {
      upstream.connectFailed(cause);
      tracker.events().backendConnectFailed(tracker.info(), decision.pool(), upstream, cause);
      next();
    }

    private int connectTimeoutMillis() {
      long millis = decision.connectTimeout().toMillis();
      return (int) Math.max(1, Math.min(Integer.MAX_VALUE, millis));
    }
  }
}
