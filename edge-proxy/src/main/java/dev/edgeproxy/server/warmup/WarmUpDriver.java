package dev.edgeproxy.server.warmup;

import dev.edgeproxy.server.transport.Transport;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens the warm-up's client connections, at most {@link #CONCURRENCY} at a time (as many as the
 * benchmark's clients), until the count, the deadline or {@link #MAX_FAILURES} is reached. Runs on
 * the starting thread: sockets are opened off the event loops, whose next turn registers them (see
 * {@link Transport} on why a socket must not be opened inside an epoll batch).
 */
final class WarmUpDriver {
  static final int CONCURRENCY = 16;
  /** More failures than connections in flight: something systematic, not one unlucky connection. */
  static final int MAX_FAILURES = 2 * CONCURRENCY;

  /** How a run ended: counts, and why it stopped before the count (null when it did not). */
  record Outcome(int completed, int failed, String stoppedEarly) {}

  private final Bootstrap bootstrap;
  private final Semaphore slots = new Semaphore(CONCURRENCY);
  private final AtomicInteger completed = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final ChannelGroup open = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  /** Every other connection's client resets at the end (see {@link WarmUpClient}). */
  private final AtomicInteger opened = new AtomicInteger();

  WarmUpDriver(
      Transport transport,
      EventLoopGroup workers,
      InetSocketAddress target,
      WarmUpHello.Exchange exchange,
      boolean proxyHeader) {
    this.bootstrap =
        new Bootstrap()
            .group(workers)
            .channel(transport == Transport.EPOLL ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2_000)
            .option(ChannelOption.TCP_NODELAY, true)
            .remoteAddress(target)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    if (proxyHeader) {
                      ch.pipeline().addLast(HAProxyMessageEncoder.INSTANCE);
                    }
                    boolean reset = opened.incrementAndGet() % 2 == 0;
                    ch.pipeline().addLast(new WarmUpClient(exchange, proxyHeader, reset, WarmUpDriver.this::ended));
                  }
                });
  }

  /** Opens {@code count} connections one slot at a time; returns once all ended or the deadline. */
  Outcome run(int count, long deadlineNanos) throws InterruptedException {
    String stopped = null;
    for (int i = 0; i < count && stopped == null; i++) {
      if (!slots.tryAcquire(remainingNanos(deadlineNanos), TimeUnit.NANOSECONDS)) {
        stopped = "time bound reached";
      } else if (failed.get() >= MAX_FAILURES) {
        slots.release();
        stopped = failed.get() + " connections failed";
      } else {
        connect();
      }
    }
    if (!slots.tryAcquire(CONCURRENCY, remainingNanos(deadlineNanos), TimeUnit.NANOSECONDS)) {
      int cut = open.size();
      open.close().awaitUninterruptibly();
      if (stopped == null) {
        stopped = "time bound reached with " + cut + " connections open";
      }
    }
    if (stopped == null && failed.get() >= MAX_FAILURES) {
      stopped = failed.get() + " connections failed";
    }
    return new Outcome(completed.get(), failed.get(), stopped);
  }

  private void connect() {
    ChannelFuture f = bootstrap.connect();
    open.add(f.channel());
    f.addListener(
        done -> {
          if (!done.isSuccess()) {
            f.channel().close();
            ended(false);
          }
        });
  }

  /** Each connection reports exactly once: when it closes, or when its connect failed. */
  private void ended(boolean echoed) {
    (echoed ? completed : failed).incrementAndGet();
    slots.release();
  }

  private static long remainingNanos(long deadlineNanos) {
    return Math.max(0, deadlineNanos - System.nanoTime());
  }
}
