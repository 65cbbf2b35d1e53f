package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Regression for the native transport losing new connections under churn (issue 10): Netty's epoll
 * loop hands each event of one {@code epoll_wait} batch to the channel registered under the
 * event's file-descriptor number. When handling an earlier event of the batch closes socket N and
 * a dial opens a new socket in the same turn, the kernel gives the new socket the freed number N,
 * and a later event of the batch, collected for the old socket, is delivered to the new channel: it
 * reads an unconnected socket and closes itself, the dial fails ({@code no_backend}, the client
 * reset).
 *
 * <p>The test builds that batch on purpose on a loop with Netty's default (batched) {@code
 * epoll_wait}, as the proxy's loops run: the loop is held busy while two peers write, so one
 * wake-up reports "readable" for channel A and then for channel X; A's handler closes X and has
 * {@link CandidateDialer} dial. The dial must connect, and its socket must have X's old number (else
 * the scenario was not built and the repetition is skipped).
 */
class DialerStaleEventTest {
  private EventLoopGroup group;
  private ServerSocket server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
    if (group != null) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  @RepeatedTest(5)
  void aDialAfterASocketClosedInTheSameBatchConnects() throws Exception {
    assumeTrue(Epoll.isAvailable(), "the native epoll transport is not available here");
    group = new MultiThreadIoEventLoopGroup(1, EpollInterest.newFactory());
    EventLoop loop = group.next();
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    TlsFrontendSocketTest.TestUpstream upstream = new TlsFrontendSocketTest.TestUpstream(server.getLocalPort());
    RouteDecision.Forward decision = TlsFrontendSocketTest.forward(upstream);

    CompletableFuture<Channel> dialed = new CompletableFuture<>();
    AtomicReference<Channel> victim = new AtomicReference<>();
    AtomicInteger victimFd = new AtomicInteger(-1);
    AtomicInteger dialFd = new AtomicInteger(-1);
    ChannelInboundHandlerAdapter closesTheVictimAndDials =
        new ChannelInboundHandlerAdapter() {
          private boolean done;

          @Override
          public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            if (done) {
              return;
            }
            done = true;
            victimFd.set(((EpollSocketChannel) victim.get()).fd().intValue());
            victim.get().close();
            ConnectionTracker tracker =
                ConnectionTracker.accept(ctx.channel(), "stale-event", "tls", new RecordingEvents());
            CandidateDialer.INSTANCE.dial(
                ctx.channel(),
                tracker,
                decision,
                outbound -> {
                  dialFd.set(((EpollSocketChannel) outbound).fd().intValue());
                  dialed.complete(outbound);
                },
                () -> dialed.completeExceptionally(new AssertionError("the dial failed: " + upstream.failures() + " connect failure(s)")));
          }
        };
    Channel a = client(loop).handler(closesTheVictimAndDials).connect(server.getLocalSocketAddress()).sync().channel();
    Socket peerOfA = server.accept();
    victim.set(client(loop).handler(ClosesOnError.INSTANCE).connect(server.getLocalSocketAddress()).sync().channel());
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

    Channel outbound = dialed.get(10, TimeUnit.SECONDS);
    Socket peerOfDial = server.accept();
    assertThat(outbound.isActive()).isTrue();
    assertThat(upstream.failures()).hasValue(0);
    assumeTrue(
        dialFd.get() == victimFd.get(),
        "the dial did not get the closed socket's number back (another thread took it)");
    outbound.close().sync();
    a.close().sync();
    peerOfA.close();
    peerOfX.close();
    peerOfDial.close();
  }

  private static Bootstrap client(EventLoop loop) {
    return new Bootstrap()
        .group(loop)
        .channel(EpollSocketChannel.class)
        .option(ChannelOption.ALLOW_HALF_CLOSURE, true);
  }

  /** As the proxy's backend channels while they connect: an error closes the channel. */
  @ChannelHandler.Sharable
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
