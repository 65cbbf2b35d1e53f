package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A socket whose peer sent its FIN, with nothing queued, waits for no event; writing more than its
 * buffer to it then needs {@code EPOLLOUT} again. Netty's own epoll handler fails that (see {@link
 * EpollInterest}); the data path's handler does not.
 */
class EpollInterestTest {
  private static final int DOWNLOAD = 8 << 20;
  private static final int SMALL_BUFFER = 64 << 10;

  private EventLoopGroup group;
  private Channel server;

  @AfterEach
  void close() {
    if (server != null) {
      server.close().awaitUninterruptibly();
    }
    if (group != null) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  @Test
  void aSocketWhosePeerHalfClosedTakesAWholeDownload() throws Exception {
    requireEpoll();
    Outcome outcome = downloadAfterFin(EpollInterest.newFactory());
    assertThat(outcome.received()).as("bytes the half-closed client got").isEqualTo(DOWNLOAD);
    assertThat(outcome.serverWrite()).as("the server's write").isNull();
  }

  /**
   * Netty's handler still has the defect: when this fails after a Netty upgrade, Netty has fixed it,
   * and {@link EpollInterest} need not keep empty interests in the set any more.
   */
  @Test
  void nettysOwnEpollHandlerStillCutsTheDownload() throws Exception {
    requireEpoll();
    Outcome outcome = downloadAfterFin(EpollIoHandler.newFactory());
    assertThat(outcome.received()).isLessThan(DOWNLOAD);
    assertThat(outcome.serverWrite()).hasStackTraceContaining("epoll_ctl").hasStackTraceContaining("No such file");
  }

  private record Outcome(long received, Throwable serverWrite) {}

  /**
   * The client sends its FIN at once; when the server sees it, it stops reading (so the socket waits
   * for nothing) and then writes {@code DOWNLOAD} bytes in one go to a socket whose buffers are small, so
   * the write needs {@code EPOLLOUT}, and closes.
   */
  private Outcome downloadAfterFin(IoHandlerFactory factory) throws Exception {
    group = new MultiThreadIoEventLoopGroup(1, factory);
    CompletableFuture<Throwable> serverWrite = new CompletableFuture<>();
    server =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childOption(ChannelOption.SO_SNDBUF, SMALL_BUFFER)
            .childHandler(new WriteAfterFin(serverWrite))
            .bind(new InetSocketAddress("127.0.0.1", 0))
            .sync()
            .channel();
    long received = 0;
    try (Socket client = new Socket()) {
      client.setReceiveBufferSize(SMALL_BUFFER);
      client.setSoTimeout(30_000);
      client.connect(server.localAddress());
      client.shutdownOutput();
      InputStream in = client.getInputStream();
      byte[] buffer = new byte[SMALL_BUFFER];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          received += n;
        }
      } catch (java.net.SocketException reset) {
        // the cut connection may end in a reset: what was received is the answer
      }
    }
    return new Outcome(received, serverWrite.get(30, TimeUnit.SECONDS));
  }

  /** Answers the client's FIN with the download, then closes; completes with the write's failure. */
  private static final class WriteAfterFin extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<Throwable> done;

    WriteAfterFin(CompletableFuture<Throwable> done) {
      this.done = done;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        // As the relay does: nothing more to read, so no reading interest is left once Netty has
        // handled the FIN; the download comes later, as a backend's answer does.
        ctx.channel().config().setAutoRead(false);
        ctx.channel()
            .eventLoop()
            .execute(
                () ->
                    ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[DOWNLOAD]))
                        .addListener(f -> done.complete(f.cause()))
                        .addListener(ChannelFutureListener.CLOSE));
      }
      ReferenceCountUtil.release(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      done.complete(cause);
      ctx.close();
    }
  }

  private static void requireEpoll() {
    if ("true".equals(System.getenv("CI"))) {
      assertThat(Epoll.isAvailable()).as("epoll on CI's Linux").isTrue();
    }
    Assumptions.assumeTrue(Epoll.isAvailable(), "epoll is not available here");
  }
}
