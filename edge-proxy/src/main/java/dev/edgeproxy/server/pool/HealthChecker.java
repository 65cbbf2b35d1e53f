package dev.edgeproxy.server.pool;

import dev.edgeproxy.config.BackendPoolConfig;
import dev.edgeproxy.server.transport.Transport;
import dev.edgeproxy.sni.ProxyHeaderSpec;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Active TCP connect checks of every pool endpoint, per the pool's {@code healthCheck}. A check
 * first re-resolves the endpoint's name on this checker's own thread (MagicDNS names move; DNS
 * must never run on an event loop), then connects without blocking and closes at once.
 */
public final class HealthChecker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

  private final EventLoopGroup group;
  private final Transport transport;
  private final ScheduledExecutorService timer;
  private final List<ScheduledFuture<?>> scheduled = new ArrayList<>();

  public HealthChecker(EventLoopGroup group, Transport transport) {
    this.group = group;
    this.transport = transport;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "health-check");
              t.setDaemon(true);
              return t;
            });
  }

  /** Replaces whatever was checked before with the pools of {@code routing}. */
  public synchronized void watch(Supplier<Routing> routing, Map<String, BackendPoolConfig> configs) {
    scheduled.forEach(f -> f.cancel(false));
    scheduled.clear();
    for (BackendPool pool : routing.get().pools().values()) {
      BackendPoolConfig.HealthCheckConfig hc =
          configs.containsKey(pool.name())
              ? configs.get(pool.name()).healthCheck()
              : BackendPoolConfig.HealthCheckConfig.DEFAULT;
      long interval = Math.max(100, hc.interval().toMillis());
      for (PoolEndpoint endpoint : pool.allEndpoints()) {
        scheduled.add(
            timer.scheduleWithFixedDelay(
                () -> check(endpoint, hc.timeout(), pool.proxyHeader()), 0, interval, TimeUnit.MILLISECONDS));
      }
    }
  }

  private void check(PoolEndpoint endpoint, Duration timeout, ProxyHeaderSpec header) {
    endpoint.resolve();
    if (endpoint.unresolved()) {
      // Never resolved: connecting would make Netty resolve the name on an event loop, blocking
      // it. The endpoint already counts as unhealthy; the next check resolves again.
      return;
    }
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .channel(transport == Transport.EPOLL ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeout.toMillis()))
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    // A connect check only: nothing is read or written.
                  }
                });
    try {
      b.connect(endpoint.address())
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (f.isSuccess()) {
                      endpoint.markSuccess();
                      // A PROXY-protocol backend logs a "broken header" error for a connection
                      // that closes without a header; the LOCAL command is the protocol's own way
                      // to say "a health check, no client behind it".
                      ByteBuf hello = localHeader(header);
                      if (hello == null) {
                        f.channel().close();
                      } else {
                        f.channel().writeAndFlush(hello).addListener(ChannelFutureListener.CLOSE);
                      }
                    } else {
                      endpoint.markFailure(
                          "health check: " + (f.cause() == null ? "failed" : f.cause().getMessage()));
                    }
                  });
    } catch (RuntimeException e) {
      // e.g. the group is shutting down
      log.debug("health check of {} not started: {}", endpoint, e.toString());
    }
  }

  private static final byte[] V2_LOCAL = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, // signature
    0x20, // version 2, command LOCAL
    0x00, // address family UNSPEC
    0x00, 0x00 // no address block
  };
  private static final byte[] V1_UNKNOWN = "PROXY UNKNOWN\r\n".getBytes(StandardCharsets.US_ASCII);

  static ByteBuf localHeader(ProxyHeaderSpec header) {
    return switch (header.version()) {
      case V2 -> Unpooled.wrappedBuffer(V2_LOCAL);
      case V1 -> Unpooled.wrappedBuffer(V1_UNKNOWN);
      case NONE -> null;
    };
  }

  @Override
  public synchronized void close() {
    scheduled.forEach(f -> f.cancel(false));
    timer.shutdownNow();
  }
}
