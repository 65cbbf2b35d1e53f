package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Port 80 counts what it holds in the data path's {@link MemoryBudget}, as the TLS path does: a
 * flood of clients that ask for large answers and never read them is shed, oldest first, and a
 * good client is still served.
 */
class HttpMemoryBudgetSocketTest {
  static final int BUDGET = 1 << 20;
  static final int STALLED_CLIENTS = 40;
  static final long BIG = 256L << 20;
  static final byte[] CHUNK = new byte[16 * 1024];

  final RecordingEvents events = new RecordingEvents();
  final MemoryBudget budget = new MemoryBudget(BUDGET);
  final List<Socket> clients = new ArrayList<>();
  EventLoopGroup group;
  Channel frontend;
  Channel backend;

  @AfterEach
  void stop() throws Exception {
    for (Socket s : clients) {
      s.close();
    }
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

  /** Answers {@code /small} with {@code ok}, anything else with {@link #BIG} bytes sent while the socket takes them. */
  static final class Streamer extends ChannelInboundHandlerAdapter {
    private long left = -1;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      String request = ((ByteBuf) msg).toString(StandardCharsets.US_ASCII);
      ReferenceCountUtil.release(msg);
      if (left >= 0) {
        return;
      }
      if (request.startsWith("GET /small ")) {
        ctx.writeAndFlush(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", StandardCharsets.US_ASCII));
        return;
      }
      ctx.write(Unpooled.copiedBuffer("HTTP/1.1 200 OK\r\nContent-Length: " + BIG + "\r\n\r\n", StandardCharsets.US_ASCII));
      left = BIG;
      pump(ctx);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      pump(ctx);
    }

    private void pump(ChannelHandlerContext ctx) {
      while (left > 0 && ctx.channel().isWritable()) {
        ctx.write(Unpooled.wrappedBuffer(CHUNK));
        left -= CHUNK.length;
      }
      ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  int start() throws Exception {
    group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    backend =
        new ServerBootstrap()
            .group(group)
            .channel(NioServerSocketChannel.class)
            .childHandler(new ChannelInitializer<>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new Streamer());
              }
            })
            .bind(InetAddress.getLoopbackAddress(), 0)
            .sync()
            .channel();
    SocketAddress backendAddress = backend.localAddress();
    Upstream upstream = new Upstream() {
      @Override
      public SocketAddress address() {
        return backendAddress;
      }

      @Override
      public String label() {
        return "backend";
      }
    };
    RouteResolver resolver = request -> new RouteDecision.Forward(
        "pool", List.of(upstream), Duration.ofSeconds(2), ProxyHeaderSpec.NONE, request.serverName(), null);
    HttpFrontendSettings settings = new HttpFrontendSettings(
        "http", HttpFrontendSettings.Mode.FORWARD, 8192, Duration.ofSeconds(10), Duration.ofMinutes(5));
    ServerBootstrap b = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class);
    HttpFrontend.applyChildOptions(b);
    // Small kernel buffers so that the proxy's own buffering, not the kernel's, is what fills.
    b.childOption(ChannelOption.SO_SNDBUF, 8192);
    b.attr(MemoryBudget.KEY, budget);
    b.childHandler(HttpFrontend.initializer(settings, resolver, ClientLimit.UNLIMITED, events, ConnectionIds::next));
    frontend = b.bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    return ((InetSocketAddress) frontend.localAddress()).getPort();
  }

  Socket connect(int port) throws Exception {
    Socket s = new Socket();
    s.setReceiveBufferSize(4096);
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    clients.add(s);
    return s;
  }

  static void send(Socket s, String path) throws Exception {
    OutputStream out = s.getOutputStream();
    out.write(("GET " + path + " HTTP/1.1\r\nHost: a.example\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  @Test
  void clientsThatNeverReadTheirAnswersAreShedAndAGoodClientIsStillServed() throws Exception {
    int port = start();
    for (int i = 0; i < STALLED_CLIENTS; i++) {
      send(connect(port), "/big"); // and never read
    }
    // Forty stalled answers hold far more than the budget: the oldest are shed until it fits.
    ConnectionRecord shed = events.closed.poll(20, TimeUnit.SECONDS);
    assertThat(shed).as("a stalled client closed").isNotNull();
    assertThat(shed.reason()).isEqualTo(Reason.MEMORY_SHED);
    assertThat(shed.decision()).isEqualTo(Decision.FORWARDED);
    assertThat(budget.shedCount()).isPositive();
    // A pass sheds down to SHED_TARGET_PERCENT, but the stalled clients left keep filling up to their
    // own bounds afterwards: what holds at rest is "under the shed threshold", not "under the target".
    await().atMost(Duration.ofSeconds(10)).until(() -> budget.used() < BUDGET / 100 * MemoryBudget.SHED_PERCENT);

    Socket good = connect(port);
    good.setSoTimeout(5000);
    long started = System.nanoTime();
    send(good, "/small");
    InputStream in = good.getInputStream();
    byte[] answer = new byte[64];
    int n = 0;
    String text = "";
    while (!text.endsWith("ok") && (n = in.read(answer)) > 0) {
      text += new String(answer, 0, n, StandardCharsets.US_ASCII);
    }
    assertThat(text).startsWith("HTTP/1.1 200 OK").endsWith("\r\n\r\nok");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(1));

    for (Socket s : clients) {
      s.close();
    }
    // Every byte counted is given back once the connections are gone.
    await().atMost(Duration.ofSeconds(10)).until(() -> budget.used() == 0);
  }
}
