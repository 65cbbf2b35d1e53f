package dev.edgeproxy.sni;

import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
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

  /** Makes an unconnected backend channel for an endpoint's address. */
  @FunctionalInterface
  interface BackendChannels {
    Channel newChannel(SocketAddress endpoint);
  }

  /**
   * The backend channel type for a client channel: the same transport, so that it can register with
   * the client's event loop. On epoll the socket has the endpoint's own address family: Netty's
   * default is a dual-stack IPv6 socket, which costs an extra {@code setsockopt(IPV6_V6ONLY)} per
   * dial for the IPv4 endpoints a mesh mostly has.
   */
  static BackendChannels channelFactoryFor(Channel inbound) {
    if (inbound instanceof EpollSocketChannel) {
      return endpoint -> new EpollSocketChannel(familyOf(endpoint));
    }
    if (inbound instanceof NioSocketChannel) {
      return endpoint -> new NioSocketChannel();
    }
    // e.g. IoUringSocketChannel: its public no-arg constructor makes a client channel.
    ChannelFactory<? extends Channel> reflective = new ReflectiveChannelFactory<>(inbound.getClass());
    return endpoint -> reflective.newChannel();
  }

  static SocketProtocolFamily familyOf(SocketAddress endpoint) {
    return endpoint instanceof InetSocketAddress inet && inet.getAddress() instanceof Inet4Address
        ? SocketProtocolFamily.INET
        : SocketProtocolFamily.INET6;
  }

  private static final class Attempt {
    private final Channel inbound;
    private final ConnectionTracker tracker;
    private final RouteDecision.Forward decision;
    private final Consumer<Channel> connected;
    private final Runnable failed;
    private final BackendChannels channelFactory;
    private int next;
    private Channel pending;
    private boolean cancelled;

    Attempt(
        Channel inbound,
        ConnectionTracker tracker,
        RouteDecision.Forward decision,
        Consumer<Channel> connected,
        Runnable failed,
        BackendChannels channelFactory) {
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

    /**
     * Starts the next candidate's connect on the loop's next turn, never inside the current one.
     * Netty's epoll loop delivers each event of one {@code epoll_wait} batch to the channel
     * registered under the event's file-descriptor number. A socket opened while a batch is being
     * handled (a dial right after the ClientHello) can get the number of a socket closed earlier
     * in that batch, and an event still queued in the batch for the old socket would then be
     * delivered to the new channel, which reads an unconnected socket and closes itself: the dial
     * fails and the client is reset. Tasks run after the whole batch, when no such event is left.
     */
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
      inbound.eventLoop().execute(() -> connect(upstream));
    }

    private void connect(Upstream upstream) {
      if (cancelled) {
        return;
      }
      if (upstream.address() instanceof InetSocketAddress address && address.isUnresolved()) {
        // Names are resolved off the loop (the pool does); a lookup here would block the loop.
        failedAttempt(upstream, new UnknownHostException(address.getHostString() + " is not resolved"));
        return;
      }
      long started = System.nanoTime();
      Channel outbound;
      try {
        outbound = channelFactory.newChannel(upstream.address());
      } catch (RuntimeException e) { // e.g. out of file descriptors
        failedAttempt(upstream, e);
        return;
      }
      configure(outbound);
      pending = outbound;
      // Registered on the client's loop (no locks between the two channels): done at once, as we
      // are on that loop, so the connect follows in the same turn.
      inbound
          .eventLoop()
          .register(outbound)
          .addListener(
              (ChannelFuture registered) -> {
                if (!registered.isSuccess()) {
                  pending = null;
                  outbound.close();
                  if (!cancelled) {
                    failedAttempt(upstream, registered.cause());
                  }
                  return;
                }
                outbound
                    .connect(upstream.address())
                    .addListener((ChannelFuture f) -> connected(upstream, f, started));
              });
    }

    /**
     * What a {@code Bootstrap} per dial would set, without its option maps: reads off until the
     * relay starts, half-closure passed on, the connect timeout, the connect guard. No Nagle delay
     * is Netty's default for its socket channels ({@code TCP_NODELAY} set as the channel is made),
     * so it is not set a second time here.
     */
    private void configure(Channel outbound) {
      ChannelConfig config = outbound.config();
      config.setConnectTimeoutMillis(connectTimeoutMillis());
      config.setAutoRead(false);
      config.setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
      if (outbound instanceof EpollSocketChannel) {
        config.setOption(EpollChannelOption.TCP_NOTSENT_LOWAT, RelayTimer.NOT_SENT_LOW_WATER);
      }
      outbound.pipeline().addLast(ConnectGuard.INSTANCE);
    }

    private void connected(Upstream upstream, ChannelFuture f, long started) {
      pending = null;
      if (!f.isSuccess()) {
        // A refused or reset connect leaves the socket open (Bootstrap closed it on failure).
        f.channel().close();
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
      boolean written = writeProxyHeader(outbound);
      outbound.pipeline().remove(ConnectGuard.INSTANCE);
      if (written) {
        connected.accept(outbound);
      } else {
        outbound.close();
        tracker.closeReason(Reason.PROXY_HEADER);
        failed.run();
      }
    }

    /**
     * Writes the PROXY header, unflushed: the encoder runs on the connect guard's context (the
     * channel's only handler), so the bytes go straight to the socket's outbound buffer without
     * the encoder being added to and removed from the pipeline for this one write.
     */
    private boolean writeProxyHeader(Channel outbound) {
      HAProxyMessage header;
      try {
        header = ProxyHeaders.message(decision.proxyHeader(), tracker.info(), decision.host());
      } catch (IllegalArgumentException e) {
        return false;
      }
      if (header != null) {
        ChannelHandlerContext guard = outbound.pipeline().context(ConnectGuard.INSTANCE);
        try {
          HAProxyMessageEncoder.INSTANCE.write(guard, header, outbound.voidPromise()); // releases it
        } catch (Exception e) { // an EncoderException: the message cannot be encoded
          return false;
        }
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
