package dev.edgeproxy.server.transport;

import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.channels.spi.SelectorProvider;
import java.util.Locale;

/**
 * The socket transport: Netty's native epoll where the platform has it (Linux with the bundled
 * native library), NIO elsewhere. {@code -Dedgeproxy.transport=nio} forces NIO; {@code epoll} asks
 * for epoll and falls back to NIO, with the reason logged, where it is unavailable. {@code io_uring}
 * asks for Netty's io_uring transport (opt-in, Linux x86_64 only: README "io_uring") and falls back
 * the same way, to epoll or NIO.
 *
 * <p>io_uring has no stale-event hazard (below): Netty's handler tags every submission with its
 * registration's own number, never reused while a completion for it is outstanding, not with the
 * file descriptor; the deferred registrations are kept there too, as they cost one task.
 *
 * <p>Epoll loops take a whole batch of ready events per {@code epoll_wait} (Netty's default).
 * Netty hands each event of a batch to the channel registered under the event's file-descriptor
 * number, so a socket must never be opened while a batch is being handled: it could get the number
 * of a socket closed earlier in the batch and receive that socket's stale event. The router's dialer
 * therefore opens backend sockets on the loop's next turn (see {@code CandidateDialer}), and each
 * worker loop's listening socket registers what it accepts on the loop's next turn too (see {@link
 * LoopListeners}); that was the "epoll loses new connections under churn" finding (issue 10).
 *
 * <p>The epoll loops run Netty's handler wrapped by {@link EpollEmptyInterest}, which keeps a socket
 * that waits for no event in the epoll set (a Netty defect cut downloads to half-closed clients).
 */
public enum Transport {
  EPOLL,
  IO_URING,
  NIO;

  /** What {@code -Dedgeproxy.transport} asks for. */
  enum Wanted {
    AUTO,
    EPOLL,
    IO_URING,
    NIO
  }

  static final String PROPERTY = "edgeproxy.transport";

  public static Transport detect() {
    Wanted wanted = wanted();
    // io_uring's native library is loaded only when asked for
    return choose(wanted, Epoll.isAvailable(), wanted == Wanted.IO_URING && IoUring.isAvailable());
  }

  /**
   * The transport for a wish and the platform: io_uring only when asked for and available, else
   * epoll where available unless NIO is asked for.
   */
  static Transport choose(Wanted wanted, boolean epollAvailable, boolean ioUringAvailable) {
    if (wanted == Wanted.IO_URING && ioUringAvailable) {
      return IO_URING;
    }
    return wanted != Wanted.NIO && epollAvailable ? EPOLL : NIO;
  }

  /**
   * Why the transport asked for (or epoll, by default) is not used although it would have been, for
   * the start-up log, naming it; else null.
   */
  public static String unavailableReason() {
    Wanted wanted = wanted();
    if (wanted == Wanted.IO_URING && !IoUring.isAvailable()) {
      return "io_uring unavailable: " + describe(IoUring.unavailabilityCause());
    }
    if (wanted == Wanted.NIO || Epoll.isAvailable()) {
      return null;
    }
    return "epoll unavailable: " + describe(Epoll.unavailabilityCause());
  }

  private static String describe(Throwable cause) {
    return cause == null ? "unknown" : cause.toString();
  }

  private static Wanted wanted() {
    String value = System.getProperty(PROPERTY, "auto").trim().toUpperCase(Locale.ROOT);
    try {
      return Wanted.valueOf(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "-D" + PROPERTY + " must be auto, epoll, io_uring or nio, not " + System.getProperty(PROPERTY),
          e);
    }
  }

  public EventLoopGroup newGroup(int threads, String name) {
    IoHandlerFactory factory =
        switch (this) {
          case EPOLL -> EpollEmptyInterest.newFactory();
          case IO_URING -> IoUringIoHandler.newFactory();
          case NIO -> NioIoHandler.newFactory();
        };
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
  }

  /**
   * Listening sockets of one address family (see {@link ListenSockets} for why it matters). Netty's
   * io_uring server channel has no family choice: its socket is IPv6, and an IPv4 address is bound
   * as its IPv4-mapped form, which serves IPv4 only.
   */
  ChannelFactory<ServerChannel> serverChannelFactory(SocketProtocolFamily family) {
    return switch (this) {
      case EPOLL -> () -> new EpollServerSocketChannel(family);
      case IO_URING -> IoUringServerSocketChannel::new;
      case NIO -> () -> new NioServerSocketChannel(SelectorProvider.provider(), family);
    };
  }

  /** The client socket channel class of this transport, for a {@code Bootstrap} on its loops. */
  public Class<? extends SocketChannel> socketChannelClass() {
    return switch (this) {
      case EPOLL -> EpollSocketChannel.class;
      case IO_URING -> IoUringSocketChannel.class;
      case NIO -> NioSocketChannel.class;
    };
  }

  /** Whether the native socket options (raw {@code setsockopt}, {@code SO_REUSEPORT}) are there. */
  boolean isNative() {
    return this != NIO;
  }
}
