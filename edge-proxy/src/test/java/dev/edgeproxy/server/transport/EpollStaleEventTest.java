package dev.edgeproxy.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Regression for the native transport losing new connections under churn (issue 10): Netty's epoll
 * loop hands each event of one {@code epoll_wait} batch to the channel registered under the
 * event's file-descriptor number. When handling an earlier event of the batch closes socket N and
 * opens a new one (a backend dial right after a ClientHello), the kernel gives the new socket the
 * freed number N, and a later event of the same batch, collected for the old socket, is delivered
 * to the new channel: it reads an unconnected socket, closes it, and the deferred connect of {@link
 * Bootstrap} fails with a ClosedChannelException ({@code no_backend}, the client reset).
 *
 * <p>The test builds that batch on purpose: the loop is held busy while two peers write, so one
 * wake-up reports "readable" for channel A and then for channel X; A's handler closes X and dials
 * (getting X's descriptor number back). The dial must succeed on the event loops {@link Transport}
 * makes.
 */
class EpollStaleEventTest {
  private EventLoopGroup group;
  private ServerSocket server;

  @AfterEach
  void stop() {
    if (server != null) {
      try {
        server.close();
      } catch (java.io.IOException e) {
        // closing a listening test socket cannot lose anything
      }
    }
    if (group != null) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  @RepeatedTest(5)
  void aDialThatReusesTheNumberOfASocketClosedInTheSameBatchConnects() throws Exception {
    assumeTrue(Epoll.isAvailable(), "the native epoll transport is not available here");
    group = Transport.EPOLL.newGroup(1, "stale-event-test");
    EventLoop loop = group.next();
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    InetSocketAddress address = (InetSocketAddress) server.getLocalSocketAddress();

    CompletableFuture<ChannelFuture> dial = new CompletableFuture<>();
    AtomicReference<Channel> victim = new AtomicReference<>();
    AtomicReference<Integer> victimFd = new AtomicReference<>();
    AtomicReference<Integer> dialFd = new AtomicReference<>();
    ChannelInboundHandlerAdapter closesTheVictimAndDials =
        new ChannelInboundHandlerAdapter() {
          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            if (dial.isDone()) {
              return;
            }
            victimFd.set(((EpollSocketChannel) victim.get()).fd().intValue());
            victim.get().close();
            ChannelFuture f = client(loop).connect(address);
            dialFd.set(((EpollSocketChannel) f.channel()).fd().intValue());
            dial.complete(f);
          }
        };
    Channel a = client(loop).handler(closesTheVictimAndDials).connect(address).sync().channel();
    Socket peerOfA = server.accept();
    victim.set(client(loop).connect(address).sync().channel());
    Socket peerOfX = server.accept();

    // Hold the loop while both peers write: the next epoll_wait returns A, then X, in one batch.
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    loop.execute(
        () -> {
          held.countDown();
          awaitQuietly(release);
        });
    assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
    peerOfA.getOutputStream().write(1);
    peerOfX.getOutputStream().write(2);
    peerOfX.shutdownOutput(); // the victim's event: readable and end of stream, as a finished backend
    release.countDown();

    ChannelFuture connect = dial.get(10, TimeUnit.SECONDS);
    connect.await(10, TimeUnit.SECONDS);
    assumeTrue(
        dialFd.get().equals(victimFd.get()),
        "the dial did not get the closed socket's number back (another thread took it)");
    assertThat(connect.cause()).as("the dial's connect").isNull();
    assertThat(connect.channel().isActive()).isTrue();
    connect.channel().close().sync();
    a.close().sync();
    peerOfA.close();
    peerOfX.close();
  }

  private static Bootstrap client(EventLoop loop) {
    return new Bootstrap()
        .group(loop)
        .channel(EpollSocketChannel.class)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .handler(ClosesOnError.INSTANCE);
  }

  /** As the proxy's backend channels while they connect: an error closes the channel. */
  @io.netty.channel.ChannelHandler.Sharable
  private static final class ClosesOnError extends ChannelInboundHandlerAdapter {
    static final ClosesOnError INSTANCE = new ClosesOnError();

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
