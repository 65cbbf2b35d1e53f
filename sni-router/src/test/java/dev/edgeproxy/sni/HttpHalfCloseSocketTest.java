package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A client that sends its request and then its FIN (as {@code nc -N} or a one-shot script does)
 * gets the whole answer on port 80, also when it reads slowly: the FIN is read once the answer is
 * owed no more, and the connection closes once what is queued for the client is written, not at
 * once (that cut the end of the body whenever bytes were still queued).
 */
class HttpHalfCloseSocketTest {
  static final int BODY = 1 << 20;

  EventLoopGroup group;
  Channel frontend;
  Channel backend;

  @AfterEach
  void stop() throws Exception {
    for (Channel c : new Channel[] {frontend, backend}) {
      if (c != null) {
        c.close().sync();
      }
    }
    if (group != null) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).sync();
    }
  }

  @ParameterizedTest
  @EnumSource(TlsFrontendSocketTest.Transport.class)
  void aClientThatHalfClosesAfterItsRequestGetsTheWholeAnswer(TlsFrontendSocketTest.Transport transport) throws Exception {
    int port = start(transport);
    try (Socket client = new Socket()) {
      client.setReceiveBufferSize(4096);
      client.setSoTimeout(10_000);
      client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      OutputStream out = client.getOutputStream();
      out.write("GET /big HTTP/1.1\r\nHost: a.example\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      client.shutdownOutput();

      long received = 0;
      InputStream in = client.getInputStream();
      byte[] buffer = new byte[4096];
      for (int n; (n = in.read(buffer)) >= 0; ) {
        received += n;
        Thread.sleep(0, 200_000); // a slow reader: the proxy has bytes queued for it throughout
      }
      String head = "HTTP/1.1 200 OK\r\nContent-Length: " + BODY + "\r\n\r\n";
      assertThat(received).as("bytes the client got before the end").isGreaterThanOrEqualTo(head.length() + BODY);
    }
  }

  int start(TlsFrontendSocketTest.Transport transport) throws Exception {
    group = transport.group();
    Class<? extends ServerChannel> serverChannel = transport.serverChannel();
    backend =
        new ServerBootstrap()
            .group(group)
            .channel(serverChannel)
            .childHandler(new Answer())
            .bind(InetAddress.getLoopbackAddress(), 0)
            .sync()
            .channel();
    SocketAddress backendAddress = backend.localAddress();
    Upstream upstream = new TlsFrontendSocketTest.TestUpstream(((InetSocketAddress) backendAddress).getPort());
    RouteResolver resolver =
        request ->
            new RouteDecision.Forward(
                "pool", List.of(upstream), Duration.ofSeconds(2), ProxyHeaderSpec.NONE, request.serverName(), null);
    HttpFrontendSettings settings =
        new HttpFrontendSettings(
            "http", HttpFrontendSettings.Mode.FORWARD, 8192, Duration.ofSeconds(10), Duration.ofMinutes(5));
    ServerBootstrap b = new ServerBootstrap().group(group).channel(serverChannel);
    HttpFrontend.applyChildOptions(b);
    b.childOption(ChannelOption.SO_SNDBUF, 8192); // the proxy, not the kernel, holds the answer's tail
    b.childHandler(
        HttpFrontend.initializer(settings, resolver, ClientLimit.UNLIMITED, new RecordingEvents(), ConnectionIds::next));
    frontend = b.bind(InetAddress.getLoopbackAddress(), 0).sync().channel();
    return ((InetSocketAddress) frontend.localAddress()).getPort();
  }

  /** Answers every request with {@link #BODY} bytes, in one write. */
  @ChannelHandler.Sharable
  static final class Answer extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      String request = ((ByteBuf) msg).toString(StandardCharsets.US_ASCII);
      ReferenceCountUtil.release(msg);
      if (request.startsWith("GET ")) {
        ctx.write(
            Unpooled.copiedBuffer(
                "HTTP/1.1 200 OK\r\nContent-Length: " + BODY + "\r\n\r\n", StandardCharsets.US_ASCII));
        ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[BODY]));
      }
    }
  }
}
