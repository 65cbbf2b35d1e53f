package dev.edgeproxy.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.Epoll;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LoopListenersTest {
  private final List<Channel> bound = new ArrayList<>();
  private EventLoopGroup acceptors;
  private EventLoopGroup workers;

  @AfterEach
  void close() {
    bound.forEach(c -> c.close().awaitUninterruptibly());
    for (EventLoopGroup g : new EventLoopGroup[] {acceptors, workers}) {
      if (g != null) {
        g.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
      }
    }
  }

  @Test
  void onEpollEveryWorkerLoopAcceptsOnItsOwnSocketOfOnePort() throws Exception {
    requireEpoll();
    Set<Thread> acceptingThreads = ConcurrentHashMap.newKeySet();
    bound.addAll(bind(Transport.EPOLL, 4, new InetSocketAddress("127.0.0.1", 0), acceptingThreads));

    assertThat(bound).hasSize(4);
    assertThat(bound.stream().map(c -> ((InetSocketAddress) c.localAddress()).getPort()).distinct())
        .as("a port of 0 is chosen once, for all")
        .hasSize(1);
    assertThat(bound.stream().map(c -> c.eventLoop()).distinct()).hasSize(4);
    int port = ((InetSocketAddress) bound.get(0).localAddress()).getPort();
    for (int i = 0; i < 64 && acceptingThreads.size() < 2; i++) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        s.getInputStream().read(); // the server closes it once initialised
      }
    }
    assertThat(acceptingThreads)
        .as("connections are accepted and served by the workers, not an acceptor thread")
        .hasSizeGreaterThan(1)
        .allSatisfy(t -> assertThat(t.getName()).startsWith("loop-test-workers"));
  }

  @Test
  void aTakenPortFailsTheBindWithTheSystemsReason() throws Exception {
    requireEpoll();
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      InetSocketAddress address = new InetSocketAddress("127.0.0.1", taken.getLocalPort());
      assertThatThrownBy(() -> bind(Transport.EPOLL, 2, address, ConcurrentHashMap.newKeySet()))
          .isInstanceOf(LoopListeners.BindFailedException.class)
          .hasMessageContaining("in use");
    }
  }

  @Test
  void underNioOneSocketOnTheAcceptorLoopServes() throws Exception {
    Set<Thread> acceptingThreads = ConcurrentHashMap.newKeySet();
    bound.addAll(bind(Transport.NIO, 2, new InetSocketAddress("127.0.0.1", 0), acceptingThreads));

    assertThat(bound).hasSize(1);
    assertThat(bound.get(0).eventLoop().parent()).isSameAs(acceptors);
  }

  @Test
  void anAcceptedChannelIsHandedOnOnTheLoopsNextTurnNotInsideTheCurrentBatch() {
    List<Object> handedOn = new ArrayList<>();
    EmbeddedChannel listener =
        new EmbeddedChannel(
            LoopListeners.RegisterOnNextTurn.INSTANCE,
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                handedOn.add(msg);
              }
            });
    EmbeddedChannel accepted = new EmbeddedChannel();

    listener.pipeline().fireChannelRead(accepted);
    assertThat(handedOn).as("not during the read (the epoll batch)").isEmpty();
    listener.runPendingTasks();
    assertThat(handedOn).containsExactly(accepted);
    listener.finishAndReleaseAll();
  }

  @Test
  void anAcceptedChannelWhoseListenerWentAwayMeanwhileIsClosedNotLeaked() {
    EmbeddedChannel listener = new EmbeddedChannel(LoopListeners.RegisterOnNextTurn.INSTANCE);
    EmbeddedChannel accepted = new EmbeddedChannel();

    listener.pipeline().fireChannelRead(accepted);
    listener.pipeline().remove(LoopListeners.RegisterOnNextTurn.INSTANCE);
    listener.runPendingTasks();

    assertThat(accepted.isOpen()).isFalse();
    listener.finishAndReleaseAll();
  }

  private List<Channel> bind(
      Transport transport, int loops, InetSocketAddress address, Set<Thread> acceptingThreads)
      throws Exception {
    acceptors = transport.newGroup(1, "loop-test-acceptor");
    workers = transport.newGroup(loops, "loop-test-workers");
    return LoopListeners.bind(
        (parent, child) ->
            new ServerBootstrap()
                .group(parent, child)
                .childHandler(
                    new ChannelInitializer<>() {
                      @Override
                      protected void initChannel(Channel ch) {
                        acceptingThreads.add(Thread.currentThread());
                        ch.close();
                      }
                    }),
        transport,
        address,
        acceptors,
        workers);
  }

  private static void requireEpoll() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Epoll.isAvailable() || !"true".equals(System.getenv("CI")), "epoll is not available on this platform");
    assertThat(Epoll.isAvailable()).as("epoll on Linux").isTrue();
  }
}
