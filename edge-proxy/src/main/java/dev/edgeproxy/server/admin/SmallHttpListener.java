package dev.edgeproxy.server.admin;

import dev.edgeproxy.config.BindAddress;
import dev.edgeproxy.server.transport.ListenSockets;
import dev.edgeproxy.server.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening sockets of a small HTTP listener (admin, health): every address bound or none,
 * and every connection passes the listener's {@link ListenerConnectionLimit} before the handlers
 * the listener adds behind it.
 */
final class SmallHttpListener implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SmallHttpListener.class);

  private final List<Channel> channels;

  private SmallHttpListener(List<Channel> channels) {
    this.channels = channels;
  }

  /**
   * Binds every address of the listener; when one cannot be bound, closes those already bound.
   *
   * @param name the listener's name in {@code listeners}, for the log and the error
   * @param behindLimit adds the listener's own handlers to a connection the limit let through
   * @throws IllegalStateException when an address cannot be bound
   */
  static SmallHttpListener bind(
      String name,
      List<BindAddress> binds,
      ListenerConnectionLimit limit,
      Consumer<ChannelPipeline> behindLimit,
      EventLoopGroup acceptors,
      EventLoopGroup workers,
      Transport transport)
      throws InterruptedException {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(acceptors, workers)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    behindLimit.accept(ch.pipeline().addLast(limit));
                  }
                });
    SmallHttpListener listener = new SmallHttpListener(new ArrayList<>());
    for (BindAddress bind : ListenSockets.plan(binds, transport)) {
      var f = ListenSockets.bind(b, transport, bind.toSocketAddress()).await();
      if (!f.isSuccess()) {
        listener.close();
        throw new IllegalStateException(
            "cannot listen on " + bind + " (" + name + "): " + f.cause().getMessage(), f.cause());
      }
      log.info("{} listener on http://{}", name, bind);
      listener.channels.add(f.channel());
    }
    return listener;
  }

  List<InetSocketAddress> addresses() {
    return channels.stream().map(c -> (InetSocketAddress) c.localAddress()).toList();
  }

  /** Stops listening; open connections are not touched. */
  @Override
  public void close() {
    channels.forEach(c -> c.close().awaitUninterruptibly());
  }
}
