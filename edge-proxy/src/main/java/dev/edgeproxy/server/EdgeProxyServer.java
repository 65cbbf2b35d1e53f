package dev.edgeproxy.server;

import dev.edgeproxy.config.BindAddress;
import dev.edgeproxy.config.Cidr;
import dev.edgeproxy.config.ConfigException;
import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.config.HttpListenerConfig;
import dev.edgeproxy.config.TlsListenerConfig;
import dev.edgeproxy.sni.ConnectionIds;
import dev.edgeproxy.sni.HttpFrontend;
import dev.edgeproxy.sni.HttpFrontendSettings;
import dev.edgeproxy.sni.MemoryBudget;
import dev.edgeproxy.sni.TlsFrontend;
import dev.edgeproxy.sni.TlsFrontendSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
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
  private final AtomicReference<EdgeProxyConfig> current;
  private final ConnectionLimits limits;
  private final MemoryBudget budget;
  private final HealthChecker healthChecker;
  private final ReloadMetrics reloads;
  private final BuildInfo buildInfo;
  /** Set by {@code POST /drain}: readiness fails while the listeners keep serving. */
  private final AtomicBoolean outOfService = new AtomicBoolean();
  private final Path configFile;
  private final Map<String, ListenerGroup> listenerGroups = new LinkedHashMap<>();
  private final List<Channel> listeners = new CopyOnWriteArrayList<>();
  private final long startedNanos = System.nanoTime();
  private volatile boolean draining;
  private AdminServer admin;
  private HealthServer health;
  private java.util.function.Function<String, String> env = System::getenv;

  /** The channels bound for one listener, and the data path new connections get. */
  private record ListenerGroup(
      Map<BindAddress, Channel> channels,
      AtomicReference<ChannelInitializer<Channel>> dataPath,
      ServerBootstrap bootstrap) {}

  private EdgeProxyServer(EdgeProxyConfig config, Path configFile) throws Exception {
    this.config = config;
    this.configFile = configFile;
    this.current = new AtomicReference<>(config);
    this.transport = Transport.detect();
    this.acceptors = transport.newGroup(1, "edge-accept");
    this.workers = transport.newGroup(Runtime.getRuntime().availableProcessors(), "edge-io");
    this.accessLog =
        AccessLog.open(
            AccessLog.Format.valueOf(config.accessLog().format().name()),
            config.accessLog().path().orElse(null));
    this.meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    meters.config().commonTags("node", config.node().name()).meterFilter(AdminMetrics.BYTES_FOR_NETTY_MEMORY);
    this.buildInfo = new BuildInfo(meters, Main.version());
    buildInfo.configLoaded(config);
    this.events = new ServerEvents(accessLog, new ProxyMetrics(meters));
    this.limits =
        new ConnectionLimits(
            config.limits().maxConnections(),
            config.limits().maxConnectionsPerIp(),
            config.limits().ipv6PrefixLength());
    this.budget = new MemoryBudget(MemoryBudgets.bytes(config.limits()));
    ProxyMetrics.registerBudget(meters, budget);
    this.routing = new AtomicReference<>(Routing.from(config));
    this.healthChecker = new HealthChecker(workers, transport);
    this.allowList = new AllowListService(config, events, meters);
    this.reloads = new ReloadMetrics(meters);
  }

  /** Loads the last snapshot, binds every listener and starts the sources. */
  static EdgeProxyServer start(EdgeProxyConfig config, Path configFile) throws Exception {
    return start(config, configFile, System::getenv);
  }

  /** As {@link #start(EdgeProxyConfig, Path)}, reading secrets named by the config from {@code env}. */
  static EdgeProxyServer start(
      EdgeProxyConfig config, Path configFile, java.util.function.Function<String, String> env)
      throws Exception {
    EdgeProxyServer server = new EdgeProxyServer(config, configFile);
    server.env = env;
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
    log.info("memory budget for hellos and relaying: {}", MemoryBudgets.describe(config.limits()));
    if (!MemoryBudgets.failsFast()) {
      log.warn(
          "Netty cannot count its own direct memory (start with the launcher, or with"
              + " -Dio.netty.tryReflectionSetAccessible=true --add-opens java.base/java.nio=ALL-UNNAMED):"
              + " an exhausted direct memory then stalls event loops in the JDK's allocator");
    }
    routing.get().pools().values().forEach(p -> p.allEndpoints().forEach(PoolEndpoint::resolve));
    healthChecker.watch(routing::get, config.backends());
    allowList.start();
    if (config.listeners().tls().isPresent()) {
      bindTls(config.listeners().tls().get());
    }
    if (config.listeners().http().isPresent()) {
      bindHttp(config.listeners().http().get());
    }
    if (config.listeners().admin().isPresent()) {
      admin =
          AdminServer.start(
              config.listeners().admin().get(), acceptors, workers, transport, adminContext());
    }
    if (config.listeners().health().isPresent()) {
      health =
          HealthServer.start(
              config.listeners().health().get(), acceptors, workers, transport, adminContext());
    }
    log.info("edge-proxy ready: {}", listeners.stream().map(Channel::localAddress).toList());
  }

  private ChannelInitializer<Channel> tlsDataPath(EdgeProxyConfig c, TlsListenerConfig tls) {
    TlsFrontendSettings settings =
        new TlsFrontendSettings(
            "tls",
            tls.acceptProxyProtocol(),
            trusted(tls.proxyProtocolFrom()),
            tls.clientHelloTimeout(),
            tls.maxClientHelloBytes(),
            c.limits().idleTimeout(),
            c.limits().halfClosedTimeout());
    return TlsFrontend.initializer(
        settings, resolver(AllowListRouteResolver.Listener.TLS), limits, events, ConnectionIds::next);
  }

  /** Whether a peer may send a PROXY header: its address is in one of the configured networks. */
  private static Predicate<InetAddress> trusted(List<Cidr> networks) {
    return peer -> networks.stream().anyMatch(n -> n.contains(peer));
  }

  private ChannelInitializer<Channel> httpDataPath(EdgeProxyConfig c, HttpListenerConfig http) {
    HttpFrontendSettings settings =
        new HttpFrontendSettings(
            "http",
            http.mode() == HttpListenerConfig.HttpMode.REDIRECT
                ? HttpFrontendSettings.Mode.REDIRECT
                : HttpFrontendSettings.Mode.FORWARD,
            http.maxHeaderBytes(),
            http.headerTimeout(),
            c.limits().idleTimeout());
    return HttpFrontend.initializer(
        settings, resolver(AllowListRouteResolver.Listener.HTTP), limits, events, ConnectionIds::next);
  }

  private AllowListRouteResolver resolver(AllowListRouteResolver.Listener listener) {
    return new AllowListRouteResolver(listener, routing::get, allowList::current);
  }

  private void bindTls(TlsListenerConfig tls) throws InterruptedException {
    bindListener("tls", tls.binds(), tlsDataPath(config, tls), TlsFrontend::applyChildOptions);
  }

  /** The plain-HTTP listener (port 80): Host checked on every request, then forward or redirect. */
  private void bindHttp(HttpListenerConfig http) throws InterruptedException {
    bindListener("http", http.binds(), httpDataPath(config, http), HttpFrontend::applyChildOptions);
  }

  /**
   * Everything about PROXY acceptance (the decoder, its trusted peers, and where the per-client
   * limit counts) lives in the data path, so a reload that swaps it applies all of it to new
   * connections.
   */
  private void bindListener(
      String name,
      List<BindAddress> binds,
      ChannelInitializer<Channel> initialDataPath,
      Consumer<ServerBootstrap> childOptions)
      throws InterruptedException {
    AtomicReference<ChannelInitializer<Channel>> dataPath = new AtomicReference<>(initialDataPath);
    ServerBootstrap b = listenerBootstrap();
    childOptions.accept(b);
    b.childHandler(
        new MemoryGate(name, budget, events, new AcceptGate(name, limits, events, dataPath::get)));
    ListenerGroup group = new ListenerGroup(new LinkedHashMap<>(), dataPath, b);
    listenerGroups.put(name, group);
    events.listenerBound(name);
    rebind(name, group, binds);
  }

  private ServerBootstrap listenerBootstrap() {
    return new ServerBootstrap()
        .group(acceptors, workers)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .option(ChannelOption.SO_REUSEADDR, true);
  }

  /** Binds what a reload added, closes what it removed; open connections are not touched. */
  private void rebind(String name, ListenerGroup group, List<BindAddress> asked)
      throws InterruptedException {
    List<BindAddress> wanted = ListenSockets.plan(asked, transport);
    asked.stream()
        .filter(b -> !wanted.contains(b))
        .forEach(
            b ->
                log.info(
                    "{} ({}): served by the dual-stack [::]:{} socket (the NIO transport cannot open"
                        + " an IPv6-only socket)",
                    b,
                    name,
                    b.port()));
    for (var it = group.channels().entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      if (!wanted.contains(entry.getKey())) {
        log.info("reload: closing listener {} ({})", entry.getKey(), name);
        entry.getValue().close().awaitUninterruptibly();
        listeners.remove(entry.getValue());
        it.remove();
      }
    }
    for (BindAddress bind : wanted) {
      if (!group.channels().containsKey(bind)) {
        Channel ch = bind(group.bootstrap(), bind, name);
        group.channels().put(bind, ch);
        listeners.add(ch);
      }
    }
  }

  /** New settings for a listener's new connections, and its bind addresses as the reload says. */
  private void reloadListener(
      String name,
      boolean existedBefore,
      Optional<List<BindAddress>> binds,
      Supplier<ChannelInitializer<Channel>> dataPath)
      throws InterruptedException {
    ListenerGroup group = listenerGroups.get(name);
    if (binds.isPresent() && group != null) {
      group.dataPath().set(dataPath.get());
      rebind(name, group, binds.get());
    } else if (binds.isPresent() != existedBefore) {
      log.warn("reload: adding or removing the whole {} listener needs a restart", name);
    }
  }

  private Channel bind(ServerBootstrap b, BindAddress bind, String name) throws InterruptedException {
    InetSocketAddress address = bind.toSocketAddress();
    var future = ListenSockets.bind(b, transport, address).await();
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
    } else if (outOfService.get()) {
      reasons.add("taken out of service (POST /drain)");
    }
    if (!budget.admitting()) {
      reasons.add(
          "memory budget: " + MemoryBudgets.mib(budget.used()) + " of " + MemoryBudgets.mib(budget.limit())
              + " in use, refusing new connections");
    }
    if (!allowList.ready()) {
      reasons.add(
          allowList.registry().isReady()
              ? "waiting for a good answer from allow-list source(s) " + allowList.waitingFor()
                  + " (at most allowlist.readinessTimeout)"
              : "no allow-list snapshot loaded yet (no state file, no source has answered)");
    }
    for (Channel listener : listeners) {
      if (!listener.isActive()) {
        reasons.add("listener " + listener.localAddress() + " is not bound");
      }
    }
    return reasons;
  }

  /** What the admin endpoint reads and triggers; the webhook secret comes from {@link #env}. */
  private AdminContext adminContext() {
    return new AdminContext(
        config,
        Main.version(),
        this::uptime,
        this::readiness,
        routing::get,
        allowList,
        meters,
        events::activeConnections,
        List.of(
            new AdminContext.LabelledLoops("acceptor", acceptors),
            new AdminContext.LabelledLoops("worker", workers)),
        env,
        buildInfo::configHash,
        outOfService);
  }

  List<InetSocketAddress> listenerAddresses() {
    return listeners.stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
  }

  /**
   * SIGHUP: reloads the configuration file and re-reads every allow-list source. A configuration
   * that does not load is refused and the running one stays. What a reload changes: TLS and HTTP
   * listener addresses and settings (for new connections; acceptProxyProtocol and proxyProtocolFrom
   * included, with where the per-client limit counts), pools, routes, defaultBackend, noSni,
   * maxShrink, enforce, the allow-list sources (rebuilt when their settings changed; the current
   * snapshot serves until they answer). Open connections keep their backend. Other changes (admin
   * listener, limits, access log, state file) are reported as needing a restart.
   */
  synchronized boolean reload() {
    if (configFile == null || draining) {
      allowList.syncAll();
      return false;
    }
    EdgeProxyConfig next;
    try {
      next = ConfigLoader.load(configFile);
    } catch (ConfigException e) {
      log.error(
          "reload refused, the running configuration stays: {}",
          e.problems().stream().map(Object::toString).toList());
      reloads.record(ReloadMetrics.Outcome.REFUSED);
      return false;
    }
    EdgeProxyConfig before = current.get();
    try {
      reloadListener(
          "tls",
          before.listeners().tls().isPresent(),
          next.listeners().tls().map(t -> t.binds()),
          () -> tlsDataPath(next, next.listeners().tls().get()));
      reloadListener(
          "http",
          before.listeners().http().isPresent(),
          next.listeners().http().map(h -> h.binds()),
          () -> httpDataPath(next, next.listeners().http().get()));
    } catch (IllegalStateException | InterruptedException e) {
      log.error("reload: {}", e.getMessage());
    }
    Routing nextRouting = Routing.from(next, routing.get());
    nextRouting.pools().values().forEach(p -> p.allEndpoints().forEach(PoolEndpoint::resolve));
    routing.set(nextRouting);
    healthChecker.watch(routing::get, next.backends());
    allowList.reconfigure(next);
    current.set(next);
    buildInfo.configLoaded(next);
    for (String part : RestartOnly.changed(before, next)) {
      log.warn("reload: {} changed; that takes effect after a restart", part);
    }
    log.info("configuration reloaded from {}", configFile);
    reloads.record(ReloadMetrics.Outcome.APPLIED);
    allowList.syncAll();
    return true;
  }

  /** The hash of the configuration in force (shown in {@code /status} as {@code configHash}). */
  String configHash() {
    return buildInfo.configHash();
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
    healthChecker.close();
    allowList.close();
    if (admin != null) {
      admin.close();
    }
    if (health != null) {
      health.close();
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
