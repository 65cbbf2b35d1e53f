package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import io.netty.handler.ssl.SslHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The whole data path over real loopback sockets, NIO and (when available) epoll. */
class TlsFrontendSocketTest {
  static final String HOST = "backend.test";
  static final char[] PASSWORD = "changeit".toCharArray();

  /** The socket transports the data path runs on, as the server sets them up. */
  enum Transport {
    NIO,
    EPOLL;

    /** Two loops of this transport; skips the test where epoll is unavailable. */
    EventLoopGroup group() {
      if (this == EPOLL) {
        assumeTrue(Epoll.isAvailable(), "epoll not available");
        return new MultiThreadIoEventLoopGroup(2, EpollInterest.newFactory());
      }
      return new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    }

    Class<? extends ServerChannel> serverChannel() {
      return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }
  }

  @TempDir static Path dir;
  static SSLContext serverTls;
  static SSLContext clientTls;

  final RecordingEvents events = new RecordingEvents();
  final BlockingQueue<Channel> frontendChannels = new LinkedBlockingQueue<>();
  final BlockingQueue<Channel> backendChannels = new LinkedBlockingQueue<>();
  final BlockingQueue<Map<String, Object>> headers = new LinkedBlockingQueue<>();
  EventLoopGroup group;
  Class<? extends ServerChannel> serverChannel;
  Channel frontend;
  Channel backend;

  @BeforeAll
  static void certificate() throws Exception {
    Path keystore = dir.resolve("backend.p12");
    Process keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "backend", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + HOST, "-ext", "SAN=dns:" + HOST, "-validity", "2",
                "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", "changeit", "-keypass", "changeit")
            .redirectErrorStream(true)
            .start();
    String output = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(keytool.waitFor()).as(output).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = java.nio.file.Files.newInputStream(keystore)) {
      ks.load(in, PASSWORD);
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, PASSWORD);
    serverTls = SSLContext.getInstance("TLS");
    serverTls.init(kmf.getKeyManagers(), null, null);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    clientTls = SSLContext.getInstance("TLS");
    clientTls.init(null, tmf.getTrustManagers(), null);
  }

  void start(Transport transport) {
    group = transport.group();
    serverChannel = transport.serverChannel();
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

  record TestUpstream(SocketAddress address, String label, AtomicInteger connects, AtomicInteger failures, AtomicInteger releases)
      implements Upstream {
    TestUpstream(int port) {
      this(new InetSocketAddress("127.0.0.1", port), "127.0.0.1:" + port, new AtomicInteger(), new AtomicInteger(), new AtomicInteger());
    }

    @Override
    public void connected() {
      connects.incrementAndGet();
    }

    @Override
    public void connectFailed(Throwable cause) {
      failures.incrementAndGet();
    }

    @Override
    public void released() {
      releases.incrementAndGet();
    }
  }

  static RouteDecision.Forward forward(Upstream... candidates) {
    return new RouteDecision.Forward("pool", List.of(candidates), Duration.ofSeconds(2), ProxyHeaderSpec.V2_WITH_TLVS, HOST, null);
  }

  int startFrontend(Function<RouteRequest, RouteDecision> resolver, Duration idleTimeout) throws Exception {
    return startFrontend(resolver, idleTimeout, idleTimeout);
  }

  int startFrontend(Function<RouteRequest, RouteDecision> resolver, Duration idleTimeout, Duration halfClosedTimeout)
      throws Exception {
    TlsFrontendSettings settings =
        new TlsFrontendSettings(
            "tls", false, peer -> false, Duration.ofSeconds(5), 16384, idleTimeout, halfClosedTimeout);
    ChannelInitializer<Channel> data =
        TlsFrontend.initializer(settings, resolver::apply, ClientLimit.UNLIMITED, events, ConnectionIds::next);
    ServerBootstrap b = new ServerBootstrap().group(group).channel(serverChannel);
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

  /** A backend that decodes the PROXY header, then either terminates TLS and echoes, or sinks plain bytes. */
  int startBackend(boolean tls, boolean autoRead) throws Exception {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(group)
            .channel(serverChannel)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childOption(ChannelOption.AUTO_READ, autoRead)
            .childHandler(
                new ChannelInitializer<>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    backendChannels.add(ch);
                    ch.pipeline().addLast(new HAProxyMessageDecoder(), new HeaderCapture());
                    if (tls) {
                      SSLEngine engine = serverTls.createSSLEngine();
                      engine.setUseClientMode(false);
                      ch.pipeline().addLast(new SslHandler(engine), new Echo());
                    } else {
                      ch.pipeline().addLast(new Sink());
                    }
                  }
                });
    backend = b.bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    return ((InetSocketAddress) backend.localAddress()).getPort();
  }

  final class HeaderCapture extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof HAProxyMessage m) {
        Map<String, Object> seen = new HashMap<>();
        seen.put("protocol", m.proxiedProtocol().name());
        seen.put("src", m.sourceAddress());
        seen.put("srcPort", m.sourcePort());
        seen.put("dst", m.destinationAddress());
        for (HAProxyTLV tlv : m.tlvs()) {
          seen.put("tlv" + tlv.typeByteValue(), tlv.content().toString(StandardCharsets.US_ASCII));
        }
        m.release();
        headers.add(seen);
        ctx.pipeline().remove(this);
      } else {
        ctx.fireChannelRead(msg);
      }
    }
  }

  static final class Echo extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ctx.write(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        ctx.close(); // as a TLS server does after the client's close_notify and FIN
      }
      ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** Counts plain bytes; when the client half-closes, answers "got N" and closes. */
  static final class Sink extends ChannelInboundHandlerAdapter {
    final AtomicLong received = new AtomicLong();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      received.addAndGet(((ByteBuf) msg).readableBytes());
      ((ByteBuf) msg).release();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof ChannelInputShutdownEvent) {
        ctx.writeAndFlush(ctx.alloc().buffer().writeBytes(("got " + received.get()).getBytes(StandardCharsets.US_ASCII)))
            .addListener(f -> ((DuplexChannel) ctx.channel()).shutdownOutput());
      }
    }
  }

  SSLSocket tlsClient(int port) throws IOException {
    SSLSocket socket = (SSLSocket) clientTls.getSocketFactory().createSocket("127.0.0.1", port);
    SSLParameters params = socket.getSSLParameters();
    params.setServerNames(List.of(new SNIHostName(HOST)));
    socket.setSSLParameters(params);
    socket.setSoTimeout(20_000);
    return socket;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort(); // closed again: connecting to it is refused
    }
  }

  // ---------------------------------------------------------------- tests

  @ParameterizedTest
  @EnumSource(Transport.class)
  void tlsEndToEndWithProxyHeaderAnd8MiB(Transport transport) throws Exception {
    start(transport);
    TestUpstream upstream = new TestUpstream(startBackend(true, true));
    int port = startFrontend(r -> forward(upstream), Duration.ofSeconds(30));
    byte[] payload = new byte[8 << 20];
    new Random(1).nextBytes(payload);
    try (SSLSocket client = tlsClient(port)) {
      client.startHandshake();
      assertThat(client.getSession().getPeerPrincipal().getName()).isEqualTo("CN=" + HOST);
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(() -> {
            try {
              OutputStream out = client.getOutputStream();
              for (int p = 0; p < payload.length; p += 65536) {
                out.write(payload, p, 65536);
              }
              out.flush();
            } catch (IOException e) {
              throw new RuntimeException(e);
            }
          });
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      InputStream in = client.getInputStream();
      byte[] buf = new byte[65536];
      long total = 0;
      while (total < payload.length) {
        int n = in.read(buf);
        assertThat(n).isPositive();
        digest.update(buf, 0, n);
        total += n;
      }
      writer.get(20, TimeUnit.SECONDS);
      assertThat(digest.digest()).isEqualTo(MessageDigest.getInstance("SHA-256").digest(payload));

      Map<String, Object> header = headers.poll(5, TimeUnit.SECONDS);
      assertThat(header).containsEntry("protocol", "TCP4").containsEntry("src", "127.0.0.1")
          .containsEntry("srcPort", client.getLocalPort()).containsEntry("tlv2", HOST);
      ConnectionInfo opened = events.opened.get(0);
      assertThat(header.get("tlv5")).isEqualTo(opened.id());
      assertThat(opened.id()).matches("[0-9a-f]{16}");
    }
    ConnectionRecord record = events.awaitClosed();
    assertThat(record.decision()).isEqualTo(Decision.FORWARDED);
    assertThat(record.reason()).isNull();
    assertThat(record.host()).isEqualTo(HOST);
    assertThat(record.endpoint()).isEqualTo(upstream.label());
    assertThat(record.bytesIn()).isGreaterThan(payload.length);
    assertThat(record.bytesOut()).isGreaterThan(payload.length);
    assertThat(upstream.connects()).hasValue(1);
    awaitValue(upstream.releases(), 1);
    assertThat(events.connected).containsExactly(upstream.label());
  }

  @org.junit.jupiter.api.Test
  void onEpollBothSocketsOfARelayKeepAtMostTheLowWaterMarkUnsent() throws Exception {
    start(Transport.EPOLL);
    int backendPort = startBackend(true, true);
    int port = startFrontend(r -> forward(new TestUpstream(backendPort)), Duration.ofSeconds(30));
    try (SSLSocket client = tlsClient(port)) {
      client.startHandshake();
      Relay relay = (Relay) events.forwarded.poll(10, TimeUnit.SECONDS);
      assertThat(relay).isNotNull();
      Channel inbound = frontendChannels.poll(10, TimeUnit.SECONDS);
      Channel outbound = relay.peerOf(inbound);
      assertThat(inbound.config().getOption(EpollChannelOption.TCP_NOTSENT_LOWAT)).isEqualTo(RelayTimer.NOT_SENT_LOW_WATER);
      assertThat(outbound.config().getOption(EpollChannelOption.TCP_NOTSENT_LOWAT)).isEqualTo(RelayTimer.NOT_SENT_LOW_WATER);
    }
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void refusedNameGetsUnrecognizedNameAndNothingReachesABackend(Transport transport) throws Exception {
    start(transport);
    startBackend(true, true);
    int port = startFrontend(r -> new RouteDecision.Refuse(Reason.NOT_ALLOWED, r.serverName(), true), Duration.ofSeconds(30));
    try (SSLSocket client = tlsClient(port)) {
      assertThatThrownBy(client::startHandshake).isInstanceOf(SSLException.class).hasMessageContaining("unrecognized_name");
    }
    ConnectionRecord record = events.awaitClosed();
    assertThat(record.decision()).isEqualTo(Decision.REFUSED);
    assertThat(record.reason()).isEqualTo(Reason.NOT_ALLOWED);
    assertThat(backendChannels).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void halfCloseIsPassedOnBothWays(Transport transport) throws Exception {
    start(transport);
    TestUpstream upstream = new TestUpstream(startBackend(false, true));
    int port = startFrontend(r -> forward(upstream), Duration.ofSeconds(30));
    byte[] hello = Hellos.jdk("TLSv1.3", HOST);
    byte[] rest = "after the hello".getBytes(StandardCharsets.US_ASCII);
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
      client.setSoTimeout(10_000);
      client.getOutputStream().write(Hellos.concat(hello, rest));
      client.shutdownOutput(); // FIN from the client only
      byte[] answer = client.getInputStream().readAllBytes(); // ends with the backend's FIN
      assertThat(new String(answer, StandardCharsets.US_ASCII)).isEqualTo("got " + (hello.length + rest.length));
    }
    ConnectionRecord record = events.awaitClosed();
    assertThat(record.decision()).isEqualTo(Decision.FORWARDED);
    assertThat(record.bytesIn()).isEqualTo(hello.length + rest.length);
    assertThat(record.bytesOut()).isEqualTo(("got " + (hello.length + rest.length)).length());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void slowBackendStopsReadingTheClient(Transport transport) throws Exception {
    start(transport);
    TestUpstream upstream = new TestUpstream(startBackend(false, false)); // backend reads nothing yet
    int port = startFrontend(r -> forward(upstream), Duration.ofSeconds(60));
    byte[] hello = Hellos.jdk("TLSv1.3", HOST);
    long dataBytes = 32L << 20;
    try (Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
      CompletableFuture<Void> writer =
          CompletableFuture.runAsync(() -> {
            try {
              OutputStream out = client.getOutputStream();
              out.write(hello);
              byte[] chunk = new byte[65536];
              for (long sent = 0; sent < dataBytes; sent += chunk.length) {
                out.write(chunk);
              }
              out.flush();
            } catch (IOException e) {
              throw new RuntimeException(e);
            }
          });
      Channel inbound = frontendChannels.poll(5, TimeUnit.SECONDS);
      Relay relay = (Relay) events.forwarded.poll(5, TimeUnit.SECONDS);
      assertThat(relay).as("forwarded").isNotNull();
      // The relay must stop reading the client while the backend channel is not writable...
      await("client reads paused")
          .atMost(Duration.ofSeconds(20))
          .until(() -> !inbound.config().isAutoRead() && !writer.isDone());
      // ...and stay so, the client blocked by TCP: what does the proxy hold meanwhile?
      await("client reads stay paused")
          .during(Duration.ofMillis(300))
          .atMost(Duration.ofSeconds(5))
          .until(() -> !inbound.config().isAutoRead() && !writer.isDone());
      Channel backendSide = relay.peerOf(inbound);
      long pending =
          inbound.eventLoop().submit(() -> backendSide.unsafe().outboundBuffer().totalPendingWriteBytes()).get();
      assertThat(pending).isLessThan(1 << 20); // bounded by the write-buffer high-water mark plus one read
      assertThat(writer).isNotDone(); // the client is blocked by TCP, not buffered by us

      Channel sink = backendChannels.poll(5, TimeUnit.SECONDS);
      sink.config().setAutoRead(true);
      writer.get(30, TimeUnit.SECONDS);
      // Reads resumed once the backend drained (checked before the client's FIN: after it there is
      // nothing left to read, and the relay leaves reading off).
      await("client reads resumed").atMost(Duration.ofSeconds(20)).until(() -> inbound.config().isAutoRead());
      client.shutdownOutput();
      assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.US_ASCII))
          .isEqualTo("got " + (hello.length + dataBytes));
    }
    assertThat(events.awaitClosed().bytesIn()).isEqualTo(hello.length + dataBytes);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void failsOverToTheNextCandidate(Transport transport) throws Exception {
    start(transport);
    TestUpstream dead = new TestUpstream(freePort());
    TestUpstream alive = new TestUpstream(startBackend(true, true));
    int port = startFrontend(r -> forward(dead, alive), Duration.ofSeconds(30));
    try (SSLSocket client = tlsClient(port)) {
      client.startHandshake();
      client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
      assertThat(client.getInputStream().readNBytes(4)).isEqualTo("ping".getBytes(StandardCharsets.US_ASCII));
    }
    ConnectionRecord record = events.awaitClosed();
    assertThat(record.endpoint()).isEqualTo(alive.label());
    assertThat(dead.failures()).hasValue(1);
    assertThat(dead.connects()).hasValue(0);
    assertThat(events.connectFailed).containsExactly(dead.label());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void noCandidateAnsweringClosesTheClient(Transport transport) throws Exception {
    start(transport);
    TestUpstream a = new TestUpstream(freePort());
    TestUpstream b = new TestUpstream(freePort());
    int port = startFrontend(r -> forward(a, b), Duration.ofSeconds(30));
    try (SSLSocket client = tlsClient(port)) {
      assertThatThrownBy(client::startHandshake).isInstanceOf(IOException.class);
    }
    ConnectionRecord record = events.awaitClosed();
    assertThat(record.decision()).isEqualTo(Decision.ERROR);
    assertThat(record.reason()).isEqualTo(Reason.NO_BACKEND);
    assertThat(events.connectFailed).containsExactly(a.label(), b.label());
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void idleConnectionsAreClosed(Transport transport) throws Exception {
    start(transport);
    TestUpstream upstream = new TestUpstream(startBackend(true, true));
    int port = startFrontend(r -> forward(upstream), Duration.ofMillis(300));
    try (SSLSocket client = tlsClient(port)) {
      client.startHandshake();
      // nothing sent: the proxy closes both sides after the idle timeout
      assertThat(readUntilClosed(client)).isTrue();
    }
    ConnectionRecord record = events.awaitClosed();
    assertThat(record.reason()).isEqualTo(Reason.IDLE_TIMEOUT);
    awaitValue(upstream.releases(), 1);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void halfClosedConnectionsAreBoundedByTheirOwnTimeout(Transport transport) throws Exception {
    start(transport);
    // A backend that accepts and then neither reads nor answers nor closes: the stuck backend.
    ServerSocket stuck = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
      try {
        return stuck.accept();
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    TestUpstream upstream = new TestUpstream(stuck.getLocalPort());
    int port = startFrontend(r -> forward(upstream), Duration.ofSeconds(60), Duration.ofMillis(300));
    try (stuck; Socket client = new Socket(InetAddress.getLoopbackAddress(), port)) {
      client.setSoTimeout(10_000);
      client.getOutputStream().write(Hellos.jdk("TLSv1.3", HOST));
      client.getOutputStream().flush();
      events.forwarded.poll(5, TimeUnit.SECONDS);
      long finSent = System.nanoTime();
      client.shutdownOutput(); // the client is done; the backend stays silent
      assertThat(readUntilClosed(client)).as("closed well before the 60 s idle timeout").isTrue();
      long tookMillis = (System.nanoTime() - finSent) / 1_000_000;
      assertThat(tookMillis).as("closed after the half-closed timeout (ms)").isBetween(250L, 5_000L);
      accepted.get(5, TimeUnit.SECONDS).close();
    }
    ConnectionRecord record = events.awaitClosed();
    assertThat(record.decision()).isEqualTo(Decision.FORWARDED);
    assertThat(record.reason()).isEqualTo(Reason.HALF_CLOSED_TIMEOUT);
    awaitValue(upstream.releases(), 1);
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  void handleClosesFromAnyThread(Transport transport) throws Exception {
    start(transport);
    TestUpstream upstream = new TestUpstream(startBackend(true, true));
    int port = startFrontend(r -> forward(upstream), Duration.ofSeconds(30));
    try (SSLSocket client = tlsClient(port)) {
      client.startHandshake();
      ConnectionHandle handle = events.forwarded.poll(5, TimeUnit.SECONDS);
      handle.close(Reason.REVOKED);
      assertThat(readUntilClosed(client)).isTrue();
    }
    ConnectionRecord record = events.awaitClosed();
    assertThat(record.decision()).isEqualTo(Decision.FORWARDED);
    assertThat(record.reason()).isEqualTo(Reason.REVOKED);
  }

  /** True when the peer closed (EOF or reset) before the socket's read timeout. */
  static boolean readUntilClosed(Socket socket) {
    try {
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream ignored = new ByteArrayOutputStream();
      byte[] buf = new byte[1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        ignored.write(buf, 0, n);
      }
      return true;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  static void awaitValue(AtomicInteger value, int expected) {
    await().atMost(Duration.ofSeconds(5)).until(value::get, v -> v == expected);
  }
}
