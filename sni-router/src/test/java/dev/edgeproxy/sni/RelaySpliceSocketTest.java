package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay's splice path on epoll over real loopback sockets: each test moves enough bytes for a
 * direction to take a pipe ({@link RelaySplice#START_AFTER}) and checks that it did.
 */
class RelaySpliceSocketTest {
  static final String HOST = "backend.test";
  static final byte[] HELLO = Hellos.jdk("TLSv1.3", HOST);

  final RecordingEvents events = new RecordingEvents();
  final BlockingQueue<Channel> frontendChannels = new LinkedBlockingQueue<>();
  final BlockingQueue<Channel> backendChannels = new LinkedBlockingQueue<>();
  final BlockingQueue<Long> backendReceived = new LinkedBlockingQueue<>();
  EventLoopGroup group;
  Channel frontend;
  Channel backend;

  @BeforeEach
  void epoll() {
    assumeTrue(Epoll.isAvailable(), "epoll not available");
    assumeTrue(RelaySplice.ENABLED, "splicing switched off");
    group = new MultiThreadIoEventLoopGroup(2, EpollInterest.newFactory());
  }

  @AfterEach
  void stop() throws Exception {
    if (frontend != null) {
      frontend.close().sync();
    }
    if (backend != null) {
      backend.close().sync();
    }
    if (group != null) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
    }
  }

  // ---------------------------------------------------------------- fixtures

  int startFrontend(Duration idleTimeout, int backendPort) throws Exception {
    TlsFrontendSettings settings =
        new TlsFrontendSettings("tls", false, peer -> false, Duration.ofSeconds(5), 16384, idleTimeout, idleTimeout);
    Upstream upstream = new TlsFrontendSocketTest.TestUpstream(backendPort);
    RouteDecision.Forward forward =
        new RouteDecision.Forward("pool", List.of(upstream), Duration.ofSeconds(2), ProxyHeaderSpec.V2_WITH_TLVS, HOST, null);
    ChannelInitializer<Channel> data =
        TlsFrontend.initializer(settings, r -> forward, ClientLimit.UNLIMITED, events, ConnectionIds::next);
    ServerBootstrap b = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class);
    TlsFrontend.applyChildOptions(b);
    b.childHandler(
        new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            frontendChannels.add(ch);
            ch.pipeline().addLast(data);
          }
        });
    frontend = b.bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    return ((InetSocketAddress) frontend.localAddress()).getPort();
  }

  /** A backend that strips the PROXY header, then runs a fresh {@code handler} per connection. */
  int startBackend(Supplier<ChannelInboundHandlerAdapter> handler) throws Exception {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childHandler(
                new ChannelInitializer<>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    backendChannels.add(ch);
                    ch.pipeline().addLast(new HAProxyMessageDecoder(), new DropHeader(), handler.get());
                  }
                });
    backend = b.bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    return ((InetSocketAddress) backend.localAddress()).getPort();
  }

  static final class DropHeader extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HAProxyMessage header) {
        header.release();
        ctx.pipeline().remove(this);
      } else {
        ctx.fireChannelRead(msg);
      }
    }
  }

  /** Echoes everything after the hello, reading only while it can write; FIN answered with FIN. */
  final class Echo extends ChannelInboundHandlerAdapter {
    long helloLeft = HELLO.length;
    long received;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ByteBuf bytes = (ByteBuf) msg;
      received += bytes.readableBytes();
      int skip = (int) Math.min(helloLeft, bytes.readableBytes());
      bytes.skipBytes(skip);
      helloLeft -= skip;
      ctx.write(bytes);
      if (!ctx.channel().isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      ctx.channel().config().setAutoRead(ctx.channel().isWritable());
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        backendReceived.add(received);
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
      }
    }
  }

  /** Counts what arrives; answers "got N" and FIN on the client's FIN. */
  static final class Sink extends ChannelInboundHandlerAdapter {
    long received;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      received += ((ByteBuf) msg).readableBytes();
      ((ByteBuf) msg).release();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        ctx.writeAndFlush(Unpooled.copiedBuffer("got " + received, StandardCharsets.US_ASCII))
            .addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
      }
    }
  }

  /** Sends {@code total} bytes of a seeded stream as the client's peer can take them, then FIN. */
  static class Source extends ChannelInboundHandlerAdapter {
    final long total;
    final AtomicLong sent = new AtomicLong();
    final Random random = new Random(7);

    Source(long total) {
      this.total = total;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      send(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      send(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ((ByteBuf) msg).release();
    }

    private void send(ChannelHandlerContext ctx) {
      while (ctx.channel().isWritable() && sent.get() < total) {
        byte[] chunk = new byte[(int) Math.min(65536, total - sent.get())];
        random.nextBytes(chunk);
        ChannelFuture written = ctx.writeAndFlush(Unpooled.wrappedBuffer(chunk));
        if (sent.addAndGet(chunk.length) == total) {
          // shutdownOutput fails writes still queued: FIN once the last is out
          written.addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
        }
      }
    }
  }

  static byte[] seeded(long length) {
    byte[] bytes = new byte[(int) length];
    new Random(7).nextBytes(bytes);
    return bytes;
  }

  /** Lengths and the first difference, instead of megabytes of array in the failure message. */
  static void assertSameBytes(byte[] actual, byte[] expected) {
    int mismatch = java.util.Arrays.mismatch(actual, expected);
    assertThat(mismatch).as("first difference of %d bytes received, %d expected", actual.length, expected.length)
        .isEqualTo(-1);
  }

  Relay awaitRelay() throws InterruptedException {
    Relay relay = (Relay) events.forwarded.poll(10, TimeUnit.SECONDS);
    assertThat(relay).as("forwarded").isNotNull();
    return relay;
  }

  static long spliced(Channel source) throws Exception {
    return source.eventLoop().submit(() -> {
      SpliceReadAllocator reads = SpliceReadAllocator.of(source);
      RelaySplice splice = reads == null ? null : reads.splice();
      return splice == null ? 0 : splice.splicedBytes();
    }).get();
  }

  // ---------------------------------------------------------------- tests

  @Test
  void bulkBothWaysArrivesByteExactThroughPipes() throws Exception {
    int port = startFrontend(Duration.ofSeconds(30), startBackend(() -> new Echo()));
    byte[] payload = seeded(24 << 20);
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
      client.setSoTimeout(20_000);
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          OutputStream out = client.getOutputStream();
          out.write(HELLO);
          for (int p = 0; p < payload.length; p += 100_000) {
            out.write(payload, p, Math.min(100_000, payload.length - p));
          }
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      Channel inbound = frontendChannels.poll(5, TimeUnit.SECONDS);
      Relay relay = awaitRelay();
      byte[] echoed = client.getInputStream().readNBytes(payload.length);
      writer.get(20, TimeUnit.SECONDS);
      // The FIN after the whole echo: see the README (Zero-copy relay) for a client FIN while a
      // download still fills its socket on epoll.
      client.shutdownOutput();
      assertThat(client.getInputStream().read()).as("the backend's FIN").isEqualTo(-1);
      assertSameBytes(echoed, payload);
      assertThat(backendReceived.poll(5, TimeUnit.SECONDS)).as("backend received").isEqualTo(HELLO.length + payload.length);
      assertThat(spliced(inbound)).as("client to backend spliced").isGreaterThan(payload.length / 2);
      assertThat(spliced(relay.peerOf(inbound))).as("backend to client spliced").isGreaterThan(payload.length / 2);
    }
    ConnectionRecord record = events.awaitClosed();
    assertThat(record.reason()).isNull();
    assertThat(record.bytesIn()).isEqualTo(HELLO.length + payload.length);
    assertThat(record.bytesOut()).isEqualTo(payload.length);
    await("pipes closed").atMost(Duration.ofSeconds(5)).until(() -> RelaySplice.pipesOpen() == 0);
  }

  @Test
  void uploadWithItsFinSentAtOnceArrivesWholeWhileTheBackendIsSlow() throws Exception {
    // Client bytes and FIN are all in the proxy's receive buffer while the backend does not read:
    // the FIN (EPOLLRDHUP) must not end the upload before the last byte left the socket.
    int port = startFrontend(Duration.ofSeconds(30), startBackend(Sink::new));
    long dataBytes = 16L << 20;
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
      client.setSoTimeout(20_000);
      Channel inbound = frontendChannels.poll(5, TimeUnit.SECONDS);
      OutputStream out = client.getOutputStream();
      out.write(HELLO);
      awaitRelay();
      Channel sink = backendChannels.poll(5, TimeUnit.SECONDS);
      sink.config().setAutoRead(false);
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          byte[] chunk = new byte[65536];
          for (long sent = 0; sent < dataBytes; sent += chunk.length) {
            out.write(chunk);
          }
          client.shutdownOutput();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      await("client reads paused").atMost(Duration.ofSeconds(20)).until(() -> !inbound.config().isAutoRead());
      sink.config().setAutoRead(true);
      writer.get(30, TimeUnit.SECONDS);
      assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
          .isEqualTo("got " + (HELLO.length + dataBytes));
      assertThat(spliced(inbound)).isPositive();
    }
    assertThat(events.awaitClosed().bytesIn()).isEqualTo(HELLO.length + dataBytes);
  }

  @Test
  void backendFinAfterADownloadLeavesTheUploadDirectionOpen() throws Exception {
    long total = 8L << 20;
    int port = startFrontend(Duration.ofSeconds(30), startBackend(() -> new Source(total) {
      long received;

      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        received += ((ByteBuf) msg).readableBytes();
        ((ByteBuf) msg).release();
      }

      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
          ctx.close(); // the client's FIN came after everything it sent
          backendReceived.add(received);
        }
      }
    }));
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
      client.setSoTimeout(20_000);
      client.getOutputStream().write(HELLO);
      Channel inbound = frontendChannels.poll(5, TimeUnit.SECONDS);
      Relay relay = awaitRelay();
      byte[] downloaded = client.getInputStream().readAllBytes(); // ends with the backend's FIN
      assertSameBytes(downloaded, seeded(total));
      assertThat(spliced(relay.peerOf(inbound))).isPositive();
      // The other direction still works after the backend's FIN.
      client.getOutputStream().write("after".getBytes(StandardCharsets.US_ASCII));
      client.shutdownOutput();
    }
    ConnectionRecord record = events.awaitClosed();
    assertThat(record.reason()).isNull();
    assertThat(record.bytesOut()).isEqualTo(total);
    assertThat(record.bytesIn()).isEqualTo(HELLO.length + 5);
    assertThat(backendReceived.poll(5, TimeUnit.SECONDS)).isEqualTo(HELLO.length + 5);
  }

  @Test
  void aClientThatStopsReadingStopsTheBackendWithAtMostAPipeHeld() throws Exception {
    long total = 256L << 20;
    Source source = new Source(total);
    int port = startFrontend(Duration.ofSeconds(60), startBackend(() -> source));
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
      client.setSoTimeout(20_000);
      client.getOutputStream().write(HELLO);
      Channel inbound = frontendChannels.poll(5, TimeUnit.SECONDS);
      Relay relay = awaitRelay();
      InputStream in = client.getInputStream();
      byte[] first = in.readNBytes(1 << 20); // enough for the direction to splice
      assertThat(first).hasSize(1 << 20);
      // The client reads nothing more: the backend must be stopped by TCP, not buffered by us.
      AtomicLong seen = new AtomicLong(-1);
      await("backend stopped")
          .atMost(Duration.ofSeconds(20))
          .until(() -> seen.getAndSet(source.sent.get()) == source.sent.get());
      await("backend stays stopped")
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(5))
          .until(() -> seen.getAndSet(source.sent.get()) == source.sent.get());
      Channel backendSide = relay.peerOf(inbound);
      long[] held = inbound.eventLoop().submit(() -> new long[] {
          inbound.unsafe().outboundBuffer().totalPendingWriteBytes(),
          SpliceReadAllocator.of(backendSide).splice().bytesInPipe()}).get();
      assertThat(held[0]).as("queued for the client").isLessThan(1 << 20);
      assertThat(held[1]).as("in the pipe").isLessThanOrEqualTo(RelaySplice.PIPE_BYTES);
      assertThat(source.sent.get()).as("sent by the backend").isLessThan(total / 2);
      assertThat(spliced(backendSide)).isPositive();
      long rest = 0;
      for (int n; (n = in.read(new byte[65536])) > 0; ) {
        rest += n;
      }
      assertThat(first.length + rest).isEqualTo(total);
    }
    assertThat(events.awaitClosed().bytesOut()).isEqualTo(total);
  }

  @Test
  void aClientResetDuringASplicedDownloadClosesTheBackend() throws Exception {
    Source source = new Source(256L << 20);
    int port = startFrontend(Duration.ofSeconds(30), startBackend(() -> source));
    Socket client = new Socket(InetAddress.getLoopbackAddress(), port);
    client.setSoTimeout(20_000);
    client.getOutputStream().write(HELLO);
    Channel inbound = frontendChannels.poll(5, TimeUnit.SECONDS);
    Relay relay = awaitRelay();
    assertThat(client.getInputStream().readNBytes(4 << 20)).hasSize(4 << 20);
    assertThat(spliced(relay.peerOf(inbound))).isPositive();
    client.setSoLinger(true, 0);
    client.close(); // RST
    Channel backendSide = backendChannels.poll(5, TimeUnit.SECONDS);
    await("backend closed").atMost(Duration.ofSeconds(10)).until(() -> !backendSide.isOpen());
    ConnectionRecord record = events.awaitClosed();
    assertThat(record.bytesOut()).isGreaterThanOrEqualTo(4 << 20);
    await("pipes closed").atMost(Duration.ofSeconds(5)).until(() -> RelaySplice.pipesOpen() == 0);
  }

  @Test
  void aSplicedConnectionStillTimesOutWhenIdle() throws Exception {
    int port = startFrontend(Duration.ofMillis(500), startBackend(() -> new Echo()));
    byte[] payload = seeded(4 << 20);
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
      client.setSoTimeout(20_000);
      CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
        try {
          client.getOutputStream().write(Hellos.concat(HELLO, payload));
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      Channel inbound = frontendChannels.poll(5, TimeUnit.SECONDS);
      Relay relay = awaitRelay();
      assertSameBytes(client.getInputStream().readNBytes(payload.length), payload);
      writer.get(10, TimeUnit.SECONDS);
      assertThat(spliced(inbound)).isPositive();
      assertThat(spliced(relay.peerOf(inbound))).isPositive();
      // Nothing moves any more: the proxy closes both after the idle timeout.
      assertThat(client.getInputStream().read()).isEqualTo(-1);
    }
    assertThat(events.awaitClosed().reason()).isEqualTo(Reason.IDLE_TIMEOUT);
  }
}
