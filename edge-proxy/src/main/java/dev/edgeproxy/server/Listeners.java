package dev.edgeproxy.server;

import dev.edgeproxy.config.BindAddress;
import dev.edgeproxy.server.limits.AcceptGate;
import dev.edgeproxy.server.limits.ConnectionLimits;
import dev.edgeproxy.server.limits.MemoryGate;
import dev.edgeproxy.server.observe.ServerEvents;
import dev.edgeproxy.server.transport.ListenSockets;
import dev.edgeproxy.server.transport.LoopListeners;
import dev.edgeproxy.server.transport.Transport;
import dev.edgeproxy.sni.MemoryBudget;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public listeners (tls, http): their bound channels, and the data path each hands new
 * connections. Every accepted connection passes the memory gate and the accept gate first; the data
 * path behind them is swapped by a reload without touching open connections.
 */
final class Listeners {
  private static final Logger log = LoggerFactory.getLogger(Listeners.class);

  private final Transport transport;
  private final EventLoopGroup acceptors;
  private final EventLoopGroup workers;
  private final MemoryBudget budget;
  private final ConnectionLimits limits;
  private final ServerEvents events;
  private final Map<String, ListenerGroup> groups = new LinkedHashMap<>();
  private final List<Channel> channels = new CopyOnWriteArrayList<>();

  /**
   * The channels bound for one listener (per address, one per worker loop on epoll), the data path
   * new connections get, and how to make a bootstrap for a (parent, child) group pair.
   */
  private record ListenerGroup(
      Map<BindAddress, List<Channel>> channels,
      AtomicReference<ChannelInitializer<Channel>> dataPath,
      BiFunction<EventLoopGroup, EventLoopGroup, ServerBootstrap> bootstraps) {}

  Listeners(
      Transport transport,
      EventLoopGroup acceptors,
      EventLoopGroup workers,
      MemoryBudget budget,
      ConnectionLimits limits,
      ServerEvents events) {
    this.transport = transport;
    this.acceptors = acceptors;
    this.workers = workers;
    this.budget = budget;
    this.limits = limits;
    this.events = events;
  }

  /**
   * Binds a listener. Everything about PROXY acceptance (the decoder, its trusted peers, and where
   * the per-client limit counts) lives in the data path, so a reload that swaps it applies all of it
   * to new connections.
   */
  void bind(
      String name,
      List<BindAddress> binds,
      ChannelInitializer<Channel> initialDataPath,
      Consumer<ServerBootstrap> childOptions)
      throws InterruptedException {
    AtomicReference<ChannelInitializer<Channel>> dataPath = new AtomicReference<>(initialDataPath);
    MemoryGate gate =
        new MemoryGate(name, budget, events, new AcceptGate(name, limits, events, dataPath::get));
    BiFunction<EventLoopGroup, EventLoopGroup, ServerBootstrap> bootstraps =
        (parent, child) -> {
          ServerBootstrap b =
              new ServerBootstrap()
                  .group(parent, child)
                  .option(ChannelOption.SO_BACKLOG, 4096)
                  .option(ChannelOption.SO_REUSEADDR, true);
          childOptions.accept(b);
          return b.childHandler(gate);
        };
    ListenerGroup group = new ListenerGroup(new LinkedHashMap<>(), dataPath, bootstraps);
    groups.put(name, group);
    events.listenerBound(name);
    rebind(name, group, binds);
  }

  /** New settings for a listener's new connections, and its bind addresses as the reload says. */
  void reload(
      String name,
      boolean existedBefore,
      Optional<List<BindAddress>> binds,
      Supplier<ChannelInitializer<Channel>> dataPath)
      throws InterruptedException {
    ListenerGroup group = groups.get(name);
    if (binds.isPresent() && group != null) {
      group.dataPath().set(dataPath.get());
      rebind(name, group, binds.get());
    } else if (binds.isPresent() != existedBefore) {
      log.warn("reload: adding or removing the whole {} listener needs a restart", name);
    }
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
        entry.getValue().forEach(c -> c.close().awaitUninterruptibly());
        channels.removeAll(entry.getValue());
        it.remove();
      }
    }
    for (BindAddress bind : wanted) {
      if (!group.channels().containsKey(bind)) {
        List<Channel> bound = bindOne(group.bootstraps(), bind, name);
        group.channels().put(bind, bound);
        channels.addAll(bound);
      }
    }
  }

  private List<Channel> bindOne(
      BiFunction<EventLoopGroup, EventLoopGroup, ServerBootstrap> bootstraps, BindAddress bind, String name)
      throws InterruptedException {
    InetSocketAddress address = bind.toSocketAddress();
    List<Channel> bound;
    try {
      bound = LoopListeners.bind(bootstraps, transport, address, acceptors, workers);
    } catch (LoopListeners.BindFailedException e) {
      throw new IllegalStateException(
          "cannot listen on " + bind + " (" + name + "): " + e.getMessage(), e.getCause());
    }
    log.info(
        "listening on {} ({}{})",
        bound.get(0).localAddress(),
        name,
        bound.size() > 1 ? ", a socket per event loop" : "");
    return bound;
  }

  /** The bound addresses, each once (on epoll several sockets share one). */
  List<InetSocketAddress> addresses() {
    return channels.stream().map(c -> (InetSocketAddress) c.localAddress()).distinct().toList();
  }

  /** A readiness reason for each listening socket that is no longer bound. */
  List<String> notBound() {
    List<String> reasons = new ArrayList<>();
    for (Channel listener : channels) {
      if (!listener.isActive()) {
        reasons.add("listener " + listener.localAddress() + " is not bound");
      }
    }
    return reasons;
  }

  /** Stops accepting on every listener (open connections are not touched). */
  void closeAll() {
    for (Channel listener : channels) {
      listener.close().awaitUninterruptibly();
    }
  }
}
