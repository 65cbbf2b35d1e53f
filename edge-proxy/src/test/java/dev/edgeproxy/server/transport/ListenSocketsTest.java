package dev.edgeproxy.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgeproxy.config.BindAddress;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Regression for the shipped configuration crash-looping on Linux: binding {@code 0.0.0.0:P} and
 * {@code [::]:P} together failed with "Address already in use" (the IPv4 wildcard took a dual-stack
 * socket). Both wildcards together must serve both families, on every transport.
 */
class ListenSocketsTest {
  private final List<Channel> bound = new ArrayList<>();
  private EventLoopGroup group;

  @AfterEach
  void close() {
    bound.forEach(c -> c.close().awaitUninterruptibly());
    if (group != null) {
      group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void bothWildcardsOnOnePortServeIpv4AndIpv6(Transport transport) throws Exception {
    int port = freePort();
    bindAll(transport, List.of(wildcard4(port), wildcard6(port)));

    assertAccepts("127.0.0.1", port);
    assertAccepts("::1", port);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void theIpv4WildcardAloneIsIpv4Only(Transport transport) throws Exception {
    int port = freePort();
    bindAll(transport, List.of(wildcard4(port)));

    assertAccepts("127.0.0.1", port);
    assertThatThrownBy(() -> connect("::1", port)).isInstanceOf(ConnectException.class);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void theIpv6WildcardAloneServesIpv6(Transport transport) throws Exception {
    int port = freePort();
    bindAll(transport, List.of(wildcard6(port)));

    assertAccepts("::1", port);
    if (transport == Transport.EPOLL) {
      // IPV6_V6ONLY, as nginx: the IPv4 port stays free for another socket
      assertThatThrownBy(() -> connect("127.0.0.1", port)).isInstanceOf(ConnectException.class);
    }
  }

  @org.junit.jupiter.api.Test
  void nioFoldsTheIpv4WildcardIntoTheDualStackSocketOfItsPort() {
    List<BindAddress> asked =
        List.of(wildcard4(443), wildcard6(443), wildcard4(80), BindAddress.parse("127.0.0.1:9901"));
    assertThat(ListenSockets.plan(asked, Transport.NIO))
        .containsExactly(wildcard6(443), wildcard4(80), BindAddress.parse("127.0.0.1:9901"));
    assertThat(ListenSockets.plan(asked, Transport.EPOLL)).isEqualTo(asked);
  }

  private void bindAll(Transport transport, List<BindAddress> binds) throws InterruptedException {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        transport != Transport.EPOLL || Epoll.isAvailable() || !"true".equals(System.getenv("CI")),
        "epoll is not available on this platform");
    if (transport == Transport.EPOLL) {
      assertThat(Epoll.isAvailable()).as("epoll on Linux").isTrue();
    }
    group = transport.newGroup(1, "listen-test");
    ServerBootstrap template =
        new ServerBootstrap()
            .group(group)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childHandler(new ChannelInboundHandlerAdapter());
    for (BindAddress bind : ListenSockets.plan(binds, transport)) {
      var f = ListenSockets.bind(template, transport, bind.toSocketAddress()).await();
      assertThat(f.isSuccess()).as("bind %s: %s", bind, f.cause()).isTrue();
      bound.add(f.channel());
    }
  }

  private static void assertAccepts(String host, int port) throws IOException {
    try (Socket s = connect(host, port)) {
      assertThat(s.isConnected()).isTrue();
    }
  }

  private static Socket connect(String host, int port) throws IOException {
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress(host, port), 2000);
      return s;
    } catch (IOException e) {
      s.close();
      throw e;
    }
  }

  private static BindAddress wildcard4(int port) {
    return BindAddress.parse("0.0.0.0:" + port);
  }

  private static BindAddress wildcard6(int port) {
    return BindAddress.parse("[::]:" + port);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
