package dev.edgeproxy.sni;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The TLS listener's data path, for a server's child channels: optional incoming PROXY header,
 * ClientHello peek, routing decision, then {@link Forwarder} or a refusal.
 *
 * <pre>{@code
 * ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(serverChannelClass);
 * TlsFrontend.applyChildOptions(b);
 * b.childHandler(TlsFrontend.initializer(settings, resolver, events, ConnectionIds::next));
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
      RouterEvents events,
      Supplier<String> connectionIds) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(resolver, "resolver");
    Objects.requireNonNull(events, "events");
    Objects.requireNonNull(connectionIds, "connectionIds");
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        init(ch, settings, resolver, events, connectionIds.get(), Forwarder::forward);
      }
    };
  }

  /**
   * The child options the data path expects: reads on at first (the peek reads at once), no Nagle
   * delay for the handshake, and half-closure so a client's FIN is passed on instead of cutting the
   * connection.
   */
  public static void applyChildOptions(ServerBootstrap bootstrap) {
    bootstrap
        .childOption(ChannelOption.AUTO_READ, true)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
  }

  static void init(
      Channel ch,
      TlsFrontendSettings settings,
      RouteResolver resolver,
      RouterEvents events,
      String connectionId,
      Stage stage) {
    ConnectionTracker tracker = ConnectionTracker.accept(ch, connectionId, settings.listenerName(), events);
    ChannelPipeline p = ch.pipeline();
    if (settings.acceptProxyProtocol()) {
      // The load balancer's header must come first; the decoder removes itself after one header
      // and passes the bytes after it on. Without a header the connection is closed.
      p.addLast(PipelineNames.PROXY_DECODER, new HAProxyMessageDecoder());
      p.addLast(PipelineNames.PROXY_INFO, new ProxyInfoHandler(tracker));
    } else {
      tracker.open();
    }
    p.addLast(
        PipelineNames.SNI_PEEK,
        new SniPeekHandler(
            settings.clientHelloTimeout(),
            settings.maxClientHelloBytes(),
            resolver,
            events,
            tracker,
            (inbound, t, decision, hello) ->
                stage.start(
                    inbound, t, decision, hello, settings.idleTimeout(), settings.halfClosedTimeout())));
  }

  /** {@link Forwarder#forward}'s shape, so tests can stand in for the backend side. */
  @FunctionalInterface
  interface Stage {
    void start(
        Channel inbound,
        ConnectionTracker tracker,
        RouteDecision.Forward decision,
        ByteBuf hello,
        Duration idleTimeout,
        Duration halfClosedTimeout);
  }

  private TlsFrontend() {}
}
