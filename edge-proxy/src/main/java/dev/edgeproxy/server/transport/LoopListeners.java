package dev.edgeproxy.server.transport;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The public listeners' sockets for one address. On epoll each worker loop has a listening socket of
 * its own ({@code SO_REUSEPORT}, the kernel spreads new connections over them), so a connection is
 * accepted, routed and relayed on one thread: no acceptor thread, no hand-over task and wake-up per
 * connection, as nginx's and HAProxy's workers accept for themselves. HAProxy sets {@code
 * SO_REUSEPORT} on its listeners by default too; as with it, a second process of the same user that
 * binds the same port with that option shares the port instead of failing. Under NIO one socket on
 * the acceptor loop hands connections to the workers, as before.
 */
public final class LoopListeners {
  private LoopListeners() {}

  /**
   * Binds {@code address}; all sockets or none. {@code bootstraps} makes a configured bootstrap for a
   * (parent, child) group pair. A port of 0 is chosen once, by the first socket, for all.
   */
  public static List<Channel> bind(
      BiFunction<EventLoopGroup, EventLoopGroup, ServerBootstrap> bootstraps,
      Transport transport,
      InetSocketAddress address,
      EventLoopGroup acceptors,
      EventLoopGroup workers)
      throws BindFailedException, InterruptedException {
    if (transport != Transport.EPOLL) {
      return List.of(bindOne(bootstraps.apply(acceptors, workers), transport, address));
    }
    List<Channel> bound = new ArrayList<>();
    InetSocketAddress next = address;
    try {
      for (EventExecutor executor : workers) {
        EventLoopGroup loop = (EventLoopGroup) executor;
        ServerBootstrap b =
            bootstraps
                .apply(loop, loop)
                .option(EpollChannelOption.SO_REUSEPORT, true)
                .handler(RegisterOnNextTurn.INSTANCE);
        Channel channel = bindOne(b, transport, next);
        bound.add(channel);
        next = new InetSocketAddress(address.getAddress(), ((InetSocketAddress) channel.localAddress()).getPort());
      }
      return bound;
    } catch (BindFailedException | InterruptedException | RuntimeException e) {
      bound.forEach(c -> c.close().awaitUninterruptibly());
      throw e;
    }
  }

  private static Channel bindOne(ServerBootstrap b, Transport transport, InetSocketAddress address)
      throws BindFailedException, InterruptedException {
    ChannelFuture future = ListenSockets.bind(b, transport, address).await();
    if (!future.isSuccess()) {
      throw new BindFailedException(future.cause());
    }
    return future.channel();
  }

  /** A listening socket could not be bound; the cause says why. */
  public static final class BindFailedException extends Exception {
    BindFailedException(Throwable cause) {
      super(cause.getMessage(), cause);
    }
  }

  /**
   * Hands each accepted channel on to the registration ({@code ServerBootstrap}'s acceptor, after
   * this handler) on the loop's next turn. Netty's epoll loop delivers each event of one {@code
   * epoll_wait} batch to the channel registered under the event's file-descriptor number; an
   * accepted socket registered at once, inside the batch, could have the number of a socket closed
   * earlier in that batch and receive that socket's stale event (the same hazard as the dialer's,
   * see {@code CandidateDialer}). Tasks run after the whole batch.
   */
  @ChannelHandler.Sharable
  static final class RegisterOnNextTurn extends ChannelInboundHandlerAdapter {
    static final RegisterOnNextTurn INSTANCE = new RegisterOnNextTurn();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.executor()
          .execute(
              () -> {
                if (ctx.isRemoved() && msg instanceof Channel accepted) {
                  accepted.close(); // the listener went away meanwhile: nobody would register it
                } else {
                  ctx.fireChannelRead(msg);
                }
              });
    }
  }
}
