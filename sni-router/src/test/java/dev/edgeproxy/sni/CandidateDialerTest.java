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
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
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

/** The dialer's own resources: a failed attempt leaves no socket open. */
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

  @Test
  void refusedConnectsCloseTheirSockets() throws Exception {
    assumeTrue(Epoll.isAvailable(), "the native epoll transport is not available here");
    assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc");
    group = new MultiThreadIoEventLoopGroup(1, EpollInterest.newFactory());
    Channel server =
        new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class).childHandler(Idle.INSTANCE)
            .bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    Channel inbound =
        new Bootstrap().group(group).channel(EpollSocketChannel.class).handler(Idle.INSTANCE)
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
  void anIpv4EndpointIsDialledFromAnIpv4SocketOnEpoll() throws Exception {
    // Netty's default is a dual-stack IPv6 socket, which costs an IPV6_V6ONLY setsockopt per dial.
    assumeTrue(Epoll.isAvailable(), "the native epoll transport is not available here");
    group = new MultiThreadIoEventLoopGroup(1, EpollInterest.newFactory());
    Channel server =
        new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class).childHandler(Idle.INSTANCE)
            .bind(InetAddress.getByName("127.0.0.1"), 0).sync().channel();
    Channel inbound =
        new Bootstrap().group(group).channel(EpollSocketChannel.class).handler(Idle.INSTANCE)
            .connect(server.localAddress()).sync().channel();
    ConnectionTracker tracker = ConnectionTracker.accept(inbound, "ipv4", "tls", new RecordingEvents());
    int port = ((java.net.InetSocketAddress) server.localAddress()).getPort();
    RouteDecision.Forward decision =
        TlsFrontendSocketTest.forward(new TlsFrontendSocketTest.TestUpstream(port));
    java.util.concurrent.CompletableFuture<Channel> dialled = new java.util.concurrent.CompletableFuture<>();
    inbound.eventLoop().execute(
        () -> CandidateDialer.INSTANCE.dial(inbound, tracker, decision, dialled::complete, () -> {}));

    Channel outbound = dialled.get(10, TimeUnit.SECONDS);
    // The socket's own family, as the kernel lists it (an IPv4-mapped address on a dual-stack
    // socket would still read back as an Inet4Address in Java).
    String inode =
        Files.readSymbolicLink(Path.of("/proc/self/fd/" + ((EpollSocketChannel) outbound).fd().intValue()))
            .toString()
            .replaceAll("\\D", "");
    assertThat(socketInodes("/proc/self/net/tcp")).contains(inode);
    assertThat(socketInodes("/proc/self/net/tcp6")).doesNotContain(inode);
    assertThat(CandidateDialer.familyOf(new java.net.InetSocketAddress("::1", 1)))
        .isEqualTo(io.netty.channel.socket.SocketProtocolFamily.INET6);
    outbound.close().sync();
    inbound.close().sync();
    server.close().sync();
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
