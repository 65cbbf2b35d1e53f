package dev.edgeproxy.server;

import dev.edgeproxy.config.ConfigException;
import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.config.HttpListenerConfig;
import dev.edgeproxy.config.TlsListenerConfig;
import dev.edgeproxy.server.admin.AdminContext;
import dev.edgeproxy.server.admin.AdminMetrics;
import dev.edgeproxy.server.admin.AdminServer;
import dev.edgeproxy.server.admin.HealthServer;
import dev.edgeproxy.server.limits.ConnectionLimits;
import dev.edgeproxy.server.limits.MemoryBudgets;
import dev.edgeproxy.server.observe.AccessLog;
import dev.edgeproxy.server.observe.BuildInfo;
import dev.edgeproxy.server.observe.ProxyMetrics;
import dev.edgeproxy.server.observe.ReloadMetrics;
import dev.edgeproxy.server.observe.ServerEvents;
import dev.edgeproxy.server.pool.HealthChecker;
import dev.edgeproxy.server.pool.PoolEndpoint;
import dev.edgeproxy.server.pool.Routing;
import dev.edgeproxy.server.routing.AllowListRouteResolver;
import dev.edgeproxy.server.sources.AllowListService;
import dev.edgeproxy.server.transport.Transport;
import dev.edgeproxy.server.warmup.WarmUp;
import dev.edgeproxy.sni.HttpFrontend;
import dev.edgeproxy.sni.MemoryBudget;
import dev.edgeproxy.sni.Reason;
import dev.edgeproxy.sni.TlsFrontend;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running proxy: listeners, pools, allow-list, admin endpoint. Built from a loaded
 * configuration by {@link #start}; {@link #stop} drains and releases everything.
 */
public final class EdgeProxyServer implements AutoCloseable {
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
  private final Listeners listeners;
  private final DataPaths dataPaths;
  private final long startedNanos = System.nanoTime();
  private volatile boolean draining;
  private AdminServer admin;
  private HealthServer health;
  private java.util.function.Function<String, String> env = System::getenv;

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
    this.buildInfo = new BuildInfo(meters, BuildInfo.productVersion());
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
    this.listeners = new Listeners(transport, acceptors, workers, budget, limits, events);
    this.dataPaths = new DataPaths(limits, events, routing::get, allowList::current);
  }

  /** Loads the last snapshot, binds every listener and starts the sources. */
  public static EdgeProxyServer start(EdgeProxyConfig config, Path configFile) throws Exception {
    return start(config, configFile, System::getenv);
  }

  /** As {@link #start(EdgeProxyConfig, Path)}, reading secrets named by the config from {@code env}. */
  public static EdgeProxyServer start(
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
        BuildInfo.productVersion(),
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
      TlsListenerConfig tls = config.listeners().tls().get();
      // Before any public listener opens (and so before /readyz can answer): see WarmUp.
      WarmUp.run(config.node().warmUpConnections(), tls, config.limits(), warmUpWiring(), meters);
      listeners.bind("tls", tls.binds(), dataPaths.tls(config, tls), TlsFrontend::applyChildOptions);
    }
    if (config.listeners().http().isPresent()) {
      HttpListenerConfig http = config.listeners().http().get();
      listeners.bind("http", http.binds(), dataPaths.http(config, http), HttpFrontend::applyChildOptions);
    }
    admin = AdminServer.start(config.listeners().admin(), acceptors, workers, transport, adminContext());
    if (config.listeners().health().isPresent()) {
      health =
          HealthServer.start(
              config.listeners().health().get(), acceptors, workers, transport, adminContext());
    }
    log.info("edge-proxy ready: {}", listeners.addresses());
  }

  private WarmUp.Wiring warmUpWiring() {
    return new WarmUp.Wiring(
        transport,
        acceptors,
        workers,
        budget,
        new AllowListRouteResolver(AllowListRouteResolver.Listener.TLS, routing::get, allowList::current));
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
    reasons.addAll(listeners.notBound());
    return reasons;
  }

  /** What the admin endpoint reads and triggers; the webhook secret comes from {@link #env}. */
  private AdminContext adminContext() {
    return new AdminContext(
        config,
        BuildInfo.productVersion(),
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
    return listeners.addresses();
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
  public synchronized boolean reload() {
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
      listeners.reload(
          "tls",
          before.listeners().tls().isPresent(),
          next.listeners().tls().map(t -> t.binds()),
          () -> dataPaths.tls(next, next.listeners().tls().get()));
      listeners.reload(
          "http",
          before.listeners().http().isPresent(),
          next.listeners().http().map(h -> h.binds()),
          () -> dataPaths.http(next, next.listeners().http().get()));
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
  public void stop() {
    if (draining) {
      return;
    }
    draining = true;
    log.info("shutting down: no new connections, draining for up to {}", config.limits().drainTimeout());
    listeners.closeAll();
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
      events.forwardedConnections().forEach(c -> c.handle().close(Reason.DRAIN));
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
    listeners.closeAll();
    Future<?> w = workers.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    Future<?> a = acceptors.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    w.awaitUninterruptibly();
    a.awaitUninterruptibly();
    accessLog.close();
    meters.close();
  }
}
