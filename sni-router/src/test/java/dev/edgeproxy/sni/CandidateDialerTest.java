package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The dialer's own resources: a failed attempt leaves no socket open; the backend channel suits the loop. */
class CandidateDialerTest {
  private EventLoopGroup group;

  @AfterEach
  void stop() {
    if (group != null) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  @ChannelHandler.Sharable
  private static final class Idle extends ChannelInboundHandlerAdapter {
    static final Idle INSTANCE = new Idle();
  }

  /** The native transports, whose dialer makes its own channel type. */
  enum Native {
    EPOLL,
    IO_URING;

    EventLoopGroup group() {
      if (this == EPOLL) {
        assumeTrue(Epoll.isAvailable(), "the native epoll transport is not available here");
        return new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
      }
      assumeTrue(IoUring.isAvailable(), () -> "io_uring is not available here: " + IoUring.unavailabilityCause());
      return new MultiThreadIoEventLoopGroup(1, IoUringIoHandler.newFactory());
    }

    Class<? extends ServerChannel> server() {
      return this == EPOLL ? EpollServerSocketChannel.class : IoUringServerSocketChannel.class;
    }

    Class<? extends Channel> client() {
      return this == EPOLL ? EpollSocketChannel.class : IoUringSocketChannel.class;
    }
  }

  @ParameterizedTest
  @EnumSource(Native.class)
  void refusedConnectsCloseTheirSockets(Native transport) throws Exception {
    assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc");
    group = transport.group();
    Channel server =
        new ServerBootstrap().group(group).channel(transport.server()).childHandler(Idle.INSTANCE)
            .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    Channel inbound =
        new Bootstrap().group(group).channel(transport.client()).handler(Idle.INSTANCE)
            .connect(server.localAddress()).sync().channel();
    ConnectionTracker tracker = ConnectionTracker.accept(inbound, "refused", "tls", new RecordingEvents());
    TlsFrontendSocketTest.TestUpstream refused = new TlsFrontendSocketTest.TestUpstream(TlsFrontendSocketTest.freePort());
    RouteDecision.Forward decision = TlsFrontendSocketTest.forward(refused);

    long before = openFds();
    int dials = 50;
    CountDownLatch failed = new CountDownLatch(dials);
    for (int i = 0; i < dials; i++) {
      inbound.eventLoop().execute(
          () -> CandidateDialer.INSTANCE.dial(inbound, tracker, decision, Channel::close, failed::countDown));
    }
    assertThat(failed.await(20, TimeUnit.SECONDS)).as("every dial failed").isTrue();
    assertThat(refused.failures()).hasValue(dials);
    // Closing is done by the loop right after the failure: allow it that turn.
    await().atMost(Duration.ofSeconds(5)).until(() -> openFds() - before < 5);
    inbound.close().sync();
    server.close().sync();
  }

  @Test
  void onIoUringTheBackendChannelIsAnIoUringChannelWithTheLowWaterMark() throws Exception {
    Dialled d = dialOnce(Native.IO_URING);
    assertThat(d.outbound()).isInstanceOf(IoUringSocketChannel.class);
    assertThat(d.outbound().eventLoop()).isSameAs(d.inbound().eventLoop());
    assertThat(d.outbound().config().getOption(IoUringChannelOption.TCP_NOTSENT_LOWAT))
        .isEqualTo(RelayTimer.NOT_SENT_LOW_WATER);
    d.close();
  }

  @Test
  void anIpv4EndpointIsDialledFromAnIpv4SocketOnEpoll() throws Exception {
    // Netty's default is a dual-stack IPv6 socket, which costs an IPV6_V6ONLY setsockopt per dial.
    Dialled d = dialOnce(Native.EPOLL);
    // The socket's own family, as the kernel lists it (an IPv4-mapped address on a dual-stack
    // socket would still read back as an Inet4Address in Java).
    String inode =
        Files.readSymbolicLink(Path.of("/proc/self/fd/" + ((EpollSocketChannel) d.outbound()).fd().intValue()))
            .toString()
            .replaceAll("\\D", "");
    assertThat(socketInodes("/proc/self/net/tcp")).contains(inode);
    assertThat(socketInodes("/proc/self/net/tcp6")).doesNotContain(inode);
    assertThat(CandidateDialer.familyOf(new java.net.InetSocketAddress("::1", 1)))
        .isEqualTo(io.netty.channel.socket.SocketProtocolFamily.INET6);
    d.close();
  }

  /** A listener on 127.0.0.1, a client connected to it, and the dialer's backend channel to it. */
  private record Dialled(Channel server, Channel inbound, Channel outbound) {
    void close() throws InterruptedException {
      outbound.close().sync();
      inbound.close().sync();
      server.close().sync();
    }
  }

  private Dialled dialOnce(Native transport) throws Exception {
    group = transport.group();
    Channel server =
        new ServerBootstrap().group(group).channel(transport.server()).childHandler(Idle.INSTANCE)
            .bind(InetAddress.getByName("127.0.0.1"), 0).sync().channel();
    Channel inbound =
        new Bootstrap().group(group).channel(transport.client()).handler(Idle.INSTANCE)
            .connect(server.localAddress()).sync().channel();
    ConnectionTracker tracker = ConnectionTracker.accept(inbound, "dial", "tls", new RecordingEvents());
    int port = ((java.net.InetSocketAddress) server.localAddress()).getPort();
    RouteDecision.Forward decision = TlsFrontendSocketTest.forward(new TlsFrontendSocketTest.TestUpstream(port));
    java.util.concurrent.CompletableFuture<Channel> dialled = new java.util.concurrent.CompletableFuture<>();
    inbound.eventLoop().execute(
        () -> CandidateDialer.INSTANCE.dial(inbound, tracker, decision, dialled::complete, () -> {}));
    return new Dialled(server, inbound, dialled.get(10, TimeUnit.SECONDS));
  }

  /** The inode column of a /proc/net/tcp{,6} table. */
  private static java.util.List<String> socketInodes(String table) throws IOException {
    try (Stream<String> lines = Files.lines(Path.of(table))) {
      return lines.skip(1).map(l -> l.trim().split("\\s+")[9]).toList();
    }
  }

  private static long openFds() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }
}
