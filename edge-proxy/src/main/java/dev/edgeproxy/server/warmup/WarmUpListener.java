package dev.edgeproxy.server.warmup;

import dev.edgeproxy.config.LimitsConfig;
import dev.edgeproxy.config.TlsListenerConfig;
import dev.edgeproxy.server.limits.AcceptGate;
import dev.edgeproxy.server.limits.ConnectionLimits;
import dev.edgeproxy.server.limits.MemoryGate;
import dev.edgeproxy.server.observe.AccessLog;
import dev.edgeproxy.server.observe.ProxyMetrics;
import dev.edgeproxy.server.observe.ServerEvents;
import dev.edgeproxy.server.transport.LoopListeners;
import dev.edgeproxy.server.transport.Transport;
import dev.edgeproxy.sni.ConnectionIds;
import dev.edgeproxy.sni.MemoryBudget;
import dev.edgeproxy.sni.RouteResolver;
import dev.edgeproxy.sni.TlsFrontend;
import dev.edgeproxy.sni.TlsFrontendSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.BiFunction;

/**
 * A loopback-only copy of the TLS listener for the warm-up: the same gates and the same sni-router
 * data path with the TLS listener's settings, but its own connection limits and its own events
 * (metrics in a private registry, no access log), so warm-up connections are counted nowhere
 * public, and routing by {@link WarmUpRoutes}, so they reach the sink and nothing else.
 */
final class WarmUpListener implements AutoCloseable {
  static final String NAME = "warm-up";
  /** Far above the warm-up's own concurrency: its connections are never refused for the limit. */
  private static final int CONNECTION_LIMIT = 1024;

  private final List<Channel> channels;
  private final PrometheusMeterRegistry privateMeters;
  private final AccessLog noAccessLog;

  private WarmUpListener(List<Channel> channels, PrometheusMeterRegistry privateMeters, AccessLog noAccessLog) {
    this.channels = List.copyOf(channels);
    this.privateMeters = privateMeters;
    this.noAccessLog = noAccessLog;
  }

  static WarmUpListener bind(
      TlsListenerConfig tls,
      LimitsConfig limits,
      Transport transport,
      EventLoopGroup acceptors,
      EventLoopGroup workers,
      MemoryBudget budget,
      RouteResolver routes)
      throws InterruptedException, IOException {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AccessLog noAccessLog = AccessLog.open(AccessLog.Format.NONE, null);
    ServerEvents events = new ServerEvents(noAccessLog, new ProxyMetrics(meters));
    ConnectionLimits ownLimits =
        new ConnectionLimits(CONNECTION_LIMIT, CONNECTION_LIMIT, limits.ipv6PrefixLength());
    TlsFrontendSettings settings =
        new TlsFrontendSettings(
            NAME,
            tls.acceptProxyProtocol(),
            InetAddress::isLoopbackAddress,
            tls.clientHelloTimeout(),
            tls.maxClientHelloBytes(),
            limits.idleTimeout(),
            limits.halfClosedTimeout());
    ChannelInitializer<Channel> dataPath =
        TlsFrontend.initializer(settings, routes, ownLimits, events, ConnectionIds::next);
    MemoryGate gate =
        new MemoryGate(NAME, budget, events, new AcceptGate(NAME, ownLimits, events, () -> dataPath));
    // As the public listeners bind (one socket per event loop on epoll): the same accept path.
    BiFunction<EventLoopGroup, EventLoopGroup, ServerBootstrap> bootstraps =
        (parent, child) -> {
          ServerBootstrap b =
              new ServerBootstrap()
                  .group(parent, child)
                  .option(ChannelOption.SO_BACKLOG, CONNECTION_LIMIT)
                  .option(ChannelOption.SO_REUSEADDR, true);
          TlsFrontend.applyChildOptions(b);
          return b.childHandler(gate);
        };
    List<Channel> channels;
    try {
      channels =
          LoopListeners.bind(
              bootstraps,
              transport,
              new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
              acceptors,
              workers);
    } catch (LoopListeners.BindFailedException e) {
      meters.close();
      throw new IOException("cannot listen on loopback: " + e.getMessage(), e.getCause());
    }
    return new WarmUpListener(channels, meters, noAccessLog);
  }

  InetSocketAddress address() {
    return (InetSocketAddress) channels.get(0).localAddress();
  }

  @Override
  public void close() {
    channels.forEach(c -> c.close().awaitUninterruptibly());
    noAccessLog.close();
    privateMeters.close();
  }
}
