package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DuplexChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * When the relay turns a channel's reading back on (its peer became writable again): never on a
 * channel whose input has ended. On epoll that asked the kernel to watch a half-closed socket
 * again, which failed under load (epoll_ctl ENOENT) and cut the client before the backend's answer
 * was relayed (TlsFrontendSocketTest's slowBackendStopsReadingTheClient, about 1 run in 5 under a
 * busy loop).
 */
class RelayReadingTest {
  private EventLoopGroup group;

  @AfterEach
  void stop() {
    if (group != null) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  @io.netty.channel.ChannelHandler.Sharable
  private static final class Idle extends ChannelInboundHandlerAdapter {
    static final Idle INSTANCE = new Idle();
  }

  @Test
  void readingStaysOffOnceTheInputEnded() throws Exception {
    assumeTrue(Epoll.isAvailable(), "the native epoll transport is not available here");
    group = new MultiThreadIoEventLoopGroup(1, EpollInterest.newFactory());
    Channel server =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .childHandler(Idle.INSTANCE)
            .bind(InetAddress.getLoopbackAddress(), 0)
            .sync()
            .channel();
    InetSocketAddress address = (InetSocketAddress) server.localAddress();
    Bootstrap client =
        new Bootstrap()
            .group(group)
            .channel(EpollSocketChannel.class)
            .option(ChannelOption.AUTO_READ, false)
            .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .handler(Idle.INSTANCE);
    Channel inbound = client.connect(address).sync().channel();
    Channel outbound = client.connect(address).sync().channel();
    Relay relay =
        new Relay(inbound, outbound, ConnectionTracker.accept(inbound, "reading", "tls", new RecordingEvents()));

    boolean[] autoRead =
        inbound.eventLoop()
            .submit(
                () -> {
                  ((DuplexChannel) inbound).shutdownInput(); // done at once: we are on its loop
                  relay.readWhile(inbound, true); // the input ended: stays off
                  boolean afterShutdown = inbound.config().isAutoRead();
                  relay.readWhile(outbound, true); // a live channel: on
                  return new boolean[] {afterShutdown, outbound.config().isAutoRead()};
                })
            .get(10, TimeUnit.SECONDS);
    assertThat(autoRead[0]).as("reading a channel whose input ended").isFalse();
    assertThat(autoRead[1]).as("reading a live channel").isTrue();
    inbound.close().sync();
    outbound.close().sync();
    server.close().sync();
  }
}
