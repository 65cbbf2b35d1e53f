package dev.edgeproxy.server;

import dev.edgeproxy.config.AdminListenerConfig;
import dev.edgeproxy.config.BindAddress;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The admin HTTP endpoint: health and readiness (more paths are added by the operations work). */
final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);

  private final List<Channel> channels;

  private AdminServer(List<Channel> channels) {
    this.channels = channels;
  }

  static AdminServer start(
      AdminListenerConfig config,
      EventLoopGroup acceptors,
      EventLoopGroup workers,
      Transport transport,
      Supplier<List<String>> readiness)
      throws InterruptedException {
    ServerBootstrap b =
        new ServerBootstrap()
            .group(acceptors, workers)
            .channel(transport.serverChannel())
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(new HttpServerCodec())
                        .addLast(new HttpObjectAggregator(1 << 20))
                        .addLast(new Handler(config, readiness));
                  }
                });
    List<Channel> channels = new ArrayList<>();
    for (BindAddress bind : config.binds()) {
      var f = b.bind(bind.toSocketAddress()).await();
      if (!f.isSuccess()) {
        channels.forEach(Channel::close);
        throw new IllegalStateException(
            "cannot listen on " + bind + " (admin): " + f.cause().getMessage(), f.cause());
      }
      log.info("admin endpoint on http://{}", bind);
      channels.add(f.channel());
    }
    return new AdminServer(channels);
  }

  @Override
  public void close() {
    channels.forEach(c -> c.close().awaitUninterruptibly());
  }

  private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final AdminListenerConfig config;
    private final Supplier<List<String>> readiness;

    Handler(AdminListenerConfig config, Supplier<List<String>> readiness) {
      this.config = config;
      this.readiness = readiness;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      InetSocketAddress remote = (InetSocketAddress) ctx.channel().remoteAddress();
      String path = req.uri().split("\\?", 2)[0];
      if (!config.allows(remote.getAddress())) {
        respond(ctx, req, HttpResponseStatus.FORBIDDEN, "text/plain", "forbidden\n");
        return;
      }
      if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
        respond(ctx, req, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain", "method not allowed\n");
        return;
      }
      switch (path) {
        case "/healthz" -> respond(ctx, req, HttpResponseStatus.OK, "text/plain", "ok\n");
        case "/readyz" -> {
          List<String> reasons = readiness.get();
          if (reasons.isEmpty()) {
            respond(ctx, req, HttpResponseStatus.OK, "text/plain", "ready\n");
          } else {
            respond(
                ctx,
                req,
                HttpResponseStatus.SERVICE_UNAVAILABLE,
                "application/json",
                Json.stringArray(reasons) + "\n");
          }
        }
        default -> respond(ctx, req, HttpResponseStatus.NOT_FOUND, "text/plain", "not found\n");
      }
    }

    private static void respond(
        ChannelHandlerContext ctx,
        FullHttpRequest req,
        HttpResponseStatus status,
        String contentType,
        String body) {
      ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
      FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
      res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType + "; charset=utf-8");
      res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
      HttpUtil.setContentLength(res, content.readableBytes());
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
