package dev.edgeproxy.sni;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.unix.IntegerUnixChannelOption;
import java.util.function.Supplier;

/**
 * The TLS listener's data path, for a server's child channels: optional incoming PROXY header (from
 * trusted peers only), the per-client limit on the real client address, then the ClientHello peek
 * ({@link SniPeekHandler}: routing decision, refusal) and the backend connect ({@link
 * UpstreamConnector}), which the relay replaces.
 *
 * <pre>{@code
 * ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(serverChannelClass);
 * TlsFrontend.applyChildOptions(b);
 * b.childHandler(TlsFrontend.initializer(settings, resolver, clientLimit, events, ConnectionIds::next));
 * }</pre>
 */
public final class TlsFrontend {

  /**
   * The child channel initializer; one per listener, shared by its connections.
   *
   * @param connectionIds supplies a fresh connection id per accepted connection
   */
  public static ChannelInitializer<Channel> initializer(
      TlsFrontendSettings settings,
      RouteResolver resolver,
      ClientLimit clientLimit,
      RouterEvents events,
      Supplier<String> connectionIds) {
    return FrontendInitializer.of(
        TlsFrontend::init, settings, resolver, clientLimit, events, connectionIds);
  }

  /**
   * The options the data path expects: reads on at first (the peek reads at once) and half-closure,
   * so a client's FIN is passed on instead of cutting the connection. No Nagle delay is Netty's
   * default for its socket channels. On epoll (the child group's transport, so set the group first)
   * also {@code TCP_NOTSENT_LOWAT}, as the dialer sets on backend sockets (see {@link RelayTimer}
   * for why): on the listening socket, as Linux copies it to every socket accepted from it, which
   * saves a {@code setsockopt} per connection.
   */
  public static void applyChildOptions(ServerBootstrap bootstrap) {
    bootstrap
        .childOption(ChannelOption.AUTO_READ, true)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
    if (bootstrap.config().childGroup() instanceof IoEventLoopGroup group
        && group.isCompatible(EpollIoHandle.class)) {
      bootstrap.option(LISTENER_NOT_SENT_LOW_WATER, (int) RelayTimer.NOT_SENT_LOW_WATER);
    }
  }

  /**
   * {@code setsockopt(fd, IPPROTO_TCP = 6, TCP_NOTSENT_LOWAT = 25, n)} (Linux's netinet/tcp.h), as a
   * raw option: Netty's own {@code EpollChannelOption.TCP_NOTSENT_LOWAT} is not one of the
   * listening channel's options.
   */
  static final IntegerUnixChannelOption LISTENER_NOT_SENT_LOW_WATER =
      new IntegerUnixChannelOption("TCP_NOTSENT_LOWAT", 6, 25);

  static void init(
      Channel ch,
      TlsFrontendSettings settings,
      RouteResolver resolver,
      ClientLimit clientLimit,
      RouterEvents events,
      String connectionId,
      Dialer dialer) {
    ConnectionTracker tracker = ConnectionTracker.accept(ch, connectionId, settings.listenerName(), events);
    SpliceReadAllocator.install(ch); // before the first read: the relay may splice later
    ChannelPipeline p = ch.pipeline();
    if (settings.acceptProxyProtocol()) {
      if (!ProxyInfoHandler.install(ch, tracker, settings.proxyProtocolFrom())) {
        return;
      }
    } else {
      tracker.open();
    }
    p.addLast(
        PipelineNames.CLIENT_LIMIT,
        new ClientLimitHandler(clientLimit, tracker, settings.acceptProxyProtocol()));
    if (!ch.isOpen()) {
      return; // over the per-client limit: closed unread
    }
    p.addLast(
        PipelineNames.SNI_PEEK,
        new SniPeekHandler(
            settings.clientHelloTimeout(), settings.maxClientHelloBytes(), resolver, events, tracker));
    p.addLast(
        PipelineNames.UPSTREAM_CONNECT,
        new UpstreamConnector(dialer, tracker, settings.idleTimeout(), settings.halfClosedTimeout()));
  }

  private TlsFrontend() {}
}
