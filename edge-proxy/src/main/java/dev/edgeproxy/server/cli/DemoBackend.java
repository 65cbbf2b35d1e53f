package dev.edgeproxy.server.cli;

import dev.edgeproxy.server.transport.ListenSockets;
import dev.edgeproxy.server.transport.Transport;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * The quickstart's stand-in for a cluster ingress: terminates TLS with a bundled self-signed
 * certificate for {@code *.localhost} (demo only, never for production), reads the PROXY header the
 * proxy sends, and answers every request with what it learned, so a newcomer can see the real
 * client address and SNI arrive.
 */
final class DemoBackend implements AutoCloseable {
  private static final AttributeKey<String> PROXY_INFO = AttributeKey.valueOf("demo.proxyInfo");

  private final Channel server;

  private DemoBackend(Channel server) {
    this.server = server;
  }

  static DemoBackend start(
      EventLoopGroup group, Transport transport, InetSocketAddress bind) throws IOException {
    SslContext ssl;
    try (InputStream cert = resource("quickstart/demo-cert.pem");
        InputStream key = resource("quickstart/demo-key.pem")) {
      ssl = SslContextBuilder.forServer(cert, key).build();
    }
    ServerBootstrap b =
        new ServerBootstrap()
            .group(group)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(new HAProxyMessageDecoder())
                        .addLast(new ProxyHeaderReader())
                        .addLast(new io.netty.handler.ssl.SniHandler(host -> ssl))
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpObjectAggregator(64 * 1024))
                        .addLast(new Responder());
                  }
                });
    try {
      return new DemoBackend(ListenSockets.bind(b, transport, bind).sync().channel());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while binding the demo backend", e);
    }
  }

  InetSocketAddress localAddress() {
    return (InetSocketAddress) server.localAddress();
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = DemoBackend.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IOException("missing bundled resource " + name);
    }
    return in;
  }

  /** Remembers what the PROXY header said; the header itself is consumed here. */
  private static final class ProxyHeaderReader extends SimpleChannelInboundHandler<HAProxyMessage> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HAProxyMessage msg) {
      StringBuilder info =
          new StringBuilder()
              .append("client (from PROXY ")
              .append(msg.protocolVersion())
              .append("): ")
              .append(msg.sourceAddress())
              .append(':')
              .append(msg.sourcePort());
      for (HAProxyTLV tlv : msg.tlvs()) {
        String value = tlv.content().toString(StandardCharsets.US_ASCII);
        switch (tlv.typeByteValue()) {
          case 0x02 -> info.append("\nauthority TLV: ").append(value);
          case 0x05 -> info.append("\nconnection id TLV: ").append(value);
          default -> { }
        }
      }
      ctx.channel().attr(PROXY_INFO).set(info.toString());
      ctx.pipeline().remove(this);
    }
  }

  private static final class Responder extends SimpleChannelInboundHandler<FullHttpRequest> {
    private String sni = "(none)";

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof SniCompletionEvent sniEvent && sniEvent.hostname() != null) {
        sni = sniEvent.hostname();
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      String proxyInfo = ctx.channel().attr(PROXY_INFO).get();
      String text =
          "Hello from the edge-proxy quickstart demo backend.\n"
              + "TLS was terminated here, not in the proxy; SNI: "
              + sni
              + "\n"
              + (proxyInfo == null ? "no PROXY header received" : proxyInfo)
              + "\nrequest: "
              + req.method()
              + " "
              + req.uri()
              + "\n";
      ByteBuf body = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
      FullHttpResponse res =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
      res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
      HttpUtil.setContentLength(res, body.readableBytes());
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      HttpUtil.setKeepAlive(res, keepAlive);
      var f = ctx.writeAndFlush(res);
      if (!keepAlive) {
        f.addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
