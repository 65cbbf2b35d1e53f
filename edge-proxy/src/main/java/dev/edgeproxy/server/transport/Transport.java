package dev.edgeproxy.server.transport;

import dev.edgeproxy.sni.EpollInterest;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.channels.spi.SelectorProvider;
import java.util.Locale;

/**
 * The socket transport: Netty's native epoll where the platform has it (Linux with the bundled
 * native library), NIO elsewhere. {@code -Dedgeproxy.transport=nio} forces NIO; {@code epoll} asks
 * for epoll and falls back to NIO, with the reason logged, where it is unavailable.
 *
 * <p>Epoll loops take a whole batch of ready events per {@code epoll_wait} (Netty's default).
 * Netty hands each event of a batch to the channel registered under the event's file-descriptor
 * number, so a socket must never be opened while a batch is being handled: it could get the number
 * of a socket closed earlier in the batch and receive that socket's stale event. The router's dialer
 * therefore opens backend sockets on the loop's next turn (see {@code CandidateDialer}), and each
 * worker loop's listening socket registers what it accepts on the loop's next turn too (see {@link
 * LoopListeners}); that was the "epoll loses new connections under churn" finding (issue 10).
 *
 * <p>The epoll loops run Netty's handler as the data path needs it ({@link EpollInterest}: a socket
 * waiting for nothing stays in the epoll set, and a FIN is found by reading).
 */
public enum Transport {
  EPOLL,
  NIO;

  /** What {@code -Dedgeproxy.transport} asks for. */
  enum Wanted {
    AUTO,
    EPOLL,
    NIO
  }

  static final String PROPERTY = "edgeproxy.transport";

  public static Transport detect() {
    return choose(wanted(), Epoll.isAvailable());
  }

  /** The transport for a wish and the platform: epoll where available unless NIO is asked for. */
  static Transport choose(Wanted wanted, boolean epollAvailable) {
    return wanted != Wanted.NIO && epollAvailable ? EPOLL : NIO;
  }

  /** Why the native transport is not used although it would have been, for the start-up log; else null. */
  public static String epollUnavailableReason() {
    if (wanted() == Wanted.NIO || Epoll.isAvailable()) {
      return null;
    }
    Throwable cause = Epoll.unavailabilityCause();
    return cause == null ? "unknown" : cause.toString();
  }

  private static Wanted wanted() {
    String value = System.getProperty(PROPERTY, "auto").trim().toUpperCase(Locale.ROOT);
    try {
      return Wanted.valueOf(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "-D" + PROPERTY + " must be auto, epoll or nio, not " + System.getProperty(PROPERTY), e);
    }
  }

  public EventLoopGroup newGroup(int threads, String name) {
    IoHandlerFactory factory =
        this == EPOLL
            ? EpollInterest.newFactory()
            : NioIoHandler.newFactory();
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
  }

  /** Listening sockets of one address family (see {@link ListenSockets} for why it matters). */
  ChannelFactory<ServerChannel> serverChannelFactory(SocketProtocolFamily family) {
    return this == EPOLL
        ? () -> new EpollServerSocketChannel(family)
        : () -> new NioServerSocketChannel(SelectorProvider.provider(), family);
  }
}
