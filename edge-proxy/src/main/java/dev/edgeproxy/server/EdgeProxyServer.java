package dev.edgeproxy.server;

import dev.edgeproxy.config.BindAddress;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.config.TlsListenerConfig;
import dev.edgeproxy.sni.ConnectionIds;
import dev.edgeproxy.sni.TlsFrontend;
import dev.edgeproxy.sni.TlsFrontendSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running proxy: listeners, pools, allow-list, admin endpoint. Built from a loaded
 * configuration by {@link #start}; {@link #stop} drains and releases everything.
 */
final class EdgeProxyServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EdgeProxyServer.class);

  private final EdgeProxyConfig config;
  private final Transport transport;
  private final EventLoopGroup acceptors;
  private final EventLoopGroup workers;
  private final AccessLog accessLog;
  private final PrometheusMeterRegistry meters;
  private final ServerEvents events;
  private final AllowListService allowList;
  private final AtomicReference<Routing> routing;
  private final List<Channel> listeners = new ArrayList<>();
  private final long startedNanos = System.nanoTime();
  private volatile boolean draining;
  private AdminServer admin;

  private EdgeProxyServer(EdgeProxyConfig config, Path configFile) throws Exception {
    this.config = config;
    this.transport = Transport.detect();
    this.acceptors = transport.newGroup(1, "edge-accept");
    this.workers = transport.newGroup(Runtime.getRuntime().availableProcessors(), "edge-io");
    this.accessLog =
        AccessLog.open(
            AccessLog.Format.valueOf(config.accessLog().format().name()),
            config.accessLog().path().orElse(null));
    this.meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    meters.config().commonTags("node", config.node().name());
    this.events = new ServerEvents(accessLog, new ProxyMetrics(meters));
    this.routing = new AtomicReference<>(Routing.from(config));
    this.allowList = new AllowListService(config, events, meters);
  }

  /** Loads the last snapshot, binds every listener and starts the sources. */
  static EdgeProxyServer start(EdgeProxyConfig config, Path configFile) throws Exception {
    EdgeProxyServer server = new EdgeProxyServer(config, configFile);
    try {
      server.startAll();
      return server;
    } catch (Exception e) {
      server.close();
      throw e;
    }
  }

  private void startAll() throws Exception {
    String epollMissing = transport == Transport.NIO ? Transport.epollUnavailableReason() : null;
    log.info(
        "edge-proxy {} starting: node={} transport={}{}",
        Main.version(),
        config.node().name(),
        transport.name().toLowerCase(java.util.Locale.ROOT),
        epollMissing == null ? "" : " (epoll unavailable: " + epollMissing + ")");
    routing.get().pools().values().forEach(p -> p.allEndpoints().forEach(PoolEndpoint::resolve));
    allowList.start();
    if (config.listeners().tls().isPresent()) {
      bindTls(config.listeners().tls().get());
    }
    if (config.listeners().admin().isPresent()) {
      admin =
          AdminServer.start(
              config.listeners().admin().get(), acceptors, workers, transport, this::readiness);
    }
    log.info("edge-proxy ready: {}", listeners.stream().map(Channel::localAddress).toList());
  }

  private void bindTls(TlsListenerConfig tls) throws InterruptedException {
    TlsFrontendSettings settings =
        new TlsFrontendSettings(
            "tls",
            tls.acceptProxyProtocol(),
            tls.clientHelloTimeout(),
            tls.maxClientHelloBytes(),
            config.limits().idleTimeout());
    AllowListRouteResolver resolver =
        new AllowListRouteResolver(
            AllowListRouteResolver.Listener.TLS, routing::get, allowList::current);
    ServerBootstrap b =
        new ServerBootstrap()
            .group(acceptors, workers)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 4096)
            .option(ChannelOption.SO_REUSEADDR, true);
    TlsFrontend.applyChildOptions(b);
    b.childHandler(TlsFrontend.initializer(settings, resolver, events, ConnectionIds::next));
    for (BindAddress bind : tls.binds()) {
      listeners.add(bind(b, bind, "tls"));
    }
  }

  private Channel bind(ServerBootstrap b, BindAddress bind, String name) throws InterruptedException {
    InetSocketAddress address = bind.toSocketAddress();
    var future = b.bind(address).await();
    if (!future.isSuccess()) {
      throw new IllegalStateException(
          "cannot listen on " + bind + " (" + name + "): " + future.cause().getMessage(),
          future.cause());
    }
    log.info("listening on {} ({})", future.channel().localAddress(), name);
    return future.channel();
  }

  /** Why the node is not ready, or an empty list when it is. */
  List<String> readiness() {
    List<String> reasons = new ArrayList<>();
    if (draining) {
      reasons.add("shutting down");
    }
    if (!allowList.ready()) {
      reasons.add("no allow-list snapshot loaded yet");
    }
    for (Channel listener : listeners) {
      if (!listener.isActive()) {
        reasons.add("listener " + listener.localAddress() + " is not bound");
      }
    }
    return reasons;
  }

  List<InetSocketAddress> listenerAddresses() {
    return listeners.stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
  }

  /** SIGHUP: re-reads every allow-list source now. */
  void reload() {
    allowList.syncAll();
  }

  Duration uptime() {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  /**
   * Stops accepting at once, lets open connections finish for up to {@code drainTimeout}, closes
   * the rest, flushes the access log.
   */
  void stop() {
    if (draining) {
      return;
    }
    draining = true;
    log.info("shutting down: no new connections, draining for up to {}", config.limits().drainTimeout());
    for (Channel listener : listeners) {
      listener.close().awaitUninterruptibly();
    }
    long deadline = System.nanoTime() + config.limits().drainTimeout().toNanos();
    while (events.activeConnections() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    long left = events.activeConnections();
    if (left > 0) {
      log.warn("drain timeout reached: closing {} open connections", left);
      events.forwardedConnections().forEach(c -> c.handle().close("drain"));
    }
    close();
  }

  @Override
  public void close() {
    draining = true;
    allowList.close();
    if (admin != null) {
      admin.close();
    }
    for (Channel listener : listeners) {
      listener.close().awaitUninterruptibly();
    }
    Future<?> w = workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    Future<?> a = acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    w.awaitUninterruptibly();
    a.awaitUninterruptibly();
    accessLog.close();
    meters.close();
  }
}
