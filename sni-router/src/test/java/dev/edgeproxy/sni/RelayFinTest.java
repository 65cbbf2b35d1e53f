package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A peer's FIN does not lift the relay's bound on what it queues (review of issue 10's relay
 * change): a client that never reads fetches an answer from a backend that sends it and closes. The
 * relay stops reading the backend at its high-water mark; the rest of the answer and the FIN wait in
 * the kernel. Netty's epoll handler, seeing {@code EPOLLRDHUP}, read the whole receive buffer into
 * memory regardless (1.8 MiB queued for this client); the data path's handler finds the FIN by
 * reading instead (see {@link EpollInterest}).
 */
class RelayFinTest {
  private static final int ANSWER = 2 << 20;
  private static final int TCP_CLOSE_WAIT = 8; // linux/tcp_states.h

  private EventLoopGroup group;
  private Channel backendServer;
  private Channel listener;

  @BeforeEach
  void epoll() {
    assumeTrue(Epoll.isAvailable(), "epoll not available");
    group = new MultiThreadIoEventLoopGroup(1, EpollInterest.newFactory());
  }

  @AfterEach
  void stop() {
    for (Channel c : new Channel[] {listener, backendServer}) {
      if (c != null) {
        c.close().awaitUninterruptibly();
      }
    }
    if (group != null) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  @Test
  void aBackendsFinDoesNotMakeTheRelayQueueItsWholeAnswerForAClientThatDoesNotRead()
      throws Exception {
    backendServer =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .childHandler(new AnswerAndClose())
            .bind(InetAddress.getLoopbackAddress(), 0)
            .sync()
            .channel();
    CompletableFuture<Channel> accepted = new CompletableFuture<>();
    listener =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .childOption(ChannelOption.AUTO_READ, false)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childOption(ChannelOption.SO_SNDBUF, 64 << 10)
            .childHandler(
                new ChannelInitializer<>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    accepted.complete(ch);
                  }
                })
            .bind(InetAddress.getLoopbackAddress(), 0)
            .sync()
            .channel();
    try (SocketChannel client = SocketChannel.open()) {
      client.setOption(StandardSocketOptions.SO_RCVBUF, 64 << 10); // and it never reads
      client.connect(listener.localAddress());
      Channel inbound = accepted.get(10, TimeUnit.SECONDS);
      EpollSocketChannel outbound =
          (EpollSocketChannel)
              new Bootstrap()
                  .group(group)
                  .channel(EpollSocketChannel.class)
                  .option(ChannelOption.AUTO_READ, false) // as the dialer hands it over
                  .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                  .option(ChannelOption.SO_RCVBUF, 4 << 20) // room for the whole answer
                  .handler(new ChannelInboundHandlerAdapter())
                  .connect(backendServer.localAddress())
                  .sync()
                  .channel();
      // Linux caps SO_RCVBUF at net.core.rmem_max (4 MiB here, 208 KiB on a stock kernel): the whole
      // answer must fit for the FIN to arrive while the relay holds back.
      assumeTrue(
          outbound.config().getReceiveBufferSize() >= 2 * ANSWER,
          "net.core.rmem_max too small for the answer and its FIN to wait in the kernel");
      Relay relay =
          inbound
              .eventLoop()
              .submit(
                  () -> {
                    ConnectionTracker tracker =
                        ConnectionTracker.accept(inbound, "fin", "tls", new RecordingEvents());
                    Relay r = new Relay(inbound, outbound, tracker);
                    inbound.pipeline().addLast(r.clientSide());
                    outbound.pipeline().addLast(r.backendSide());
                    r.startReading(false);
                    return r;
                  })
              .get(10, TimeUnit.SECONDS);
      client.write(ByteBuffer.wrap(new byte[] {'?'})); // the request; the backend answers and closes
      Awaitility.await("the backend's FIN received")
          .atMost(Duration.ofSeconds(10))
          .until(() -> outbound.tcpInfo().state() == TCP_CLOSE_WAIT);
      Awaitility.await("the relay stopped reading the backend for the client")
          .atMost(Duration.ofSeconds(10))
          .until(() -> !outbound.config().isAutoRead());
      // Two turns of the loop: the FIN's readiness is handled before a task submitted after it.
      inbound.eventLoop().submit(() -> {}).get(10, TimeUnit.SECONDS);
      inbound.eventLoop().submit(() -> {}).get(10, TimeUnit.SECONDS);

      assertThat(relay.heldBytes())
          .as("queued for the client that does not read")
          .isLessThanOrEqualTo(Relay.QUEUED_BYTES.high() + 64 * 1024);
      assertThat(outbound.isInputShutdown()).as("the FIN is not read before its answer").isFalse();
    }
  }

  /** Answers a request at once and closes, as an HTTP/1.0 server or a Connection: close one does. */
  @ChannelHandler.Sharable
  private static final class AnswerAndClose extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object request) {
      ReferenceCountUtil.release(request);
      ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[ANSWER]))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }
}
