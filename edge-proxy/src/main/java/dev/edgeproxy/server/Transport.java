package dev.edgeproxy.server;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * The socket transport: native epoll where the platform has it (fewer copies, fewer syscalls),
 * else NIO. {@code -Dedgeproxy.transport=nio} forces NIO, e.g. to rule the native code out.
 */
enum Transport {
  EPOLL,
  NIO;

  static Transport detect() {
    String forced = System.getProperty("edgeproxy.transport", "");
    if (forced.equalsIgnoreCase("nio")) {
      return NIO;
    }
    return Epoll.isAvailable() ? EPOLL : NIO;
  }

  /** Why the native transport is not used, for the start-up log; null when it is. */
  static String epollUnavailableReason() {
    Throwable cause = Epoll.unavailabilityCause();
    return cause == null ? null : cause.toString();
  }

  EventLoopGroup newGroup(int threads, String name) {
    IoHandlerFactory factory =
        this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
  }

  Class<? extends ServerChannel> serverChannel() {
    return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }
}
