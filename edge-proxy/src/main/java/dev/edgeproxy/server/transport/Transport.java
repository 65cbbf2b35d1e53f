package dev.edgeproxy.server.transport;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.channels.spi.SelectorProvider;

/**
 * The socket transport. NIO by default; {@code -Dedgeproxy.transport=epoll} selects Netty's native
 * epoll transport where the platform has it (falling back to NIO where it does not).
 *
 * <p>Why not epoll by default: under connection churn (h2load, 16 clients, one request per new TLS
 * connection) Netty 4.2.18's epoll transport lost 3-10 % of new connections before the proxy ever
 * saw them, while NIO lost none in the same runs on the same machine; see tests/bench/README.md.
 * Until that is understood, the transport that loses nothing is the default.
 */
public enum Transport {
  EPOLL,
  NIO;

  public static Transport detect() {
    String wanted = System.getProperty("edgeproxy.transport", "nio");
    if (wanted.equalsIgnoreCase("epoll") && Epoll.isAvailable()) {
      return EPOLL;
    }
    return NIO;
  }

  /** Why the native transport is not used although asked for, for the start-up log; else null. */
  public static String epollUnavailableReason() {
    if (!System.getProperty("edgeproxy.transport", "nio").equalsIgnoreCase("epoll")) {
      return null;
    }
    Throwable cause = Epoll.unavailabilityCause();
    return cause == null ? null : cause.toString();
  }

  public EventLoopGroup newGroup(int threads, String name) {
    IoHandlerFactory factory =
        this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
  }

  /** Listening sockets of one address family (see {@link ListenSockets} for why it matters). */
  ChannelFactory<ServerChannel> serverChannelFactory(SocketProtocolFamily family) {
    return this == EPOLL
        ? () -> new EpollServerSocketChannel(family)
        : () -> new NioServerSocketChannel(SelectorProvider.provider(), family);
  }
}
