package dev.edgeproxy.server.admin;

import dev.edgeproxy.config.HealthListenerConfig;
import dev.edgeproxy.server.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health listener ({@code listeners.health}): {@code GET /healthz} and {@code GET /readyz}
 * only, for checkers outside the mesh (a Route53 health check). Answers are one word with no
 * reasons (those stay on the admin endpoint), every connection is closed after one answer, request
 * heads are capped at {@link #MAX_HEAD_BYTES}, bodies are not accepted and at most {@code
 * maxConnections} are open at once ({@link ListenerConnectionLimit}), so a checker or a stranger
 * costs one small, short-lived connection and a flood of them a bounded number.
 */
public final class HealthServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HealthServer.class);
  static final int MAX_HEAD_BYTES = 4096;
  static final int IDLE_SECONDS = 10;

  private final SmallHttpListener sockets;

  private HealthServer(SmallHttpListener sockets) {
    this.sockets = sockets;
  }

  /**
   * Binds every address of the health listener.
   *
   * @throws IllegalStateException when an address cannot be bound
   */
  public static HealthServer start(
      HealthListenerConfig config,
      EventLoopGroup acceptors,
      EventLoopGroup workers,
      Transport transport,
      AdminContext context)
      throws InterruptedException {
    Handler handler = new Handler(config, context);
    ListenerConnectionLimit limit =
        new ListenerConnectionLimit(
            "health",
            config.maxConnections(),
            config.maxConnectionsFromOutside(),
            config::allows,
            "text/plain; charset=utf-8",
            "busy\n");
    return new HealthServer(
        SmallHttpListener.bind(
            "health",
            config.binds(),
            limit,
            pipeline ->
                pipeline
                    .addLast(new ReadTimeoutHandler(IDLE_SECONDS))
                    .addLast(new HttpServerCodec(MAX_HEAD_BYTES, MAX_HEAD_BYTES, 1024))
                    .addLast(new HttpObjectAggregator(0))
                    .addLast(handler),
            acceptors,
            workers,
            transport));
  }

  List<InetSocketAddress> addresses() {
    return sockets.addresses();
  }

  @Override
  public void close() {
    sockets.close();
  }

  /** Answers one request per connection, then closes it. */
  @ChannelHandler.Sharable
  private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private final HealthListenerConfig config;
    private final AdminContext context;

    Handler(HealthListenerConfig config, AdminContext context) {
      this.config = config;
      this.context = context;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
      InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
      boolean head = req.method().equals(HttpMethod.HEAD);
      String path = new QueryStringDecoder(req.uri()).path();
      if (!req.decoderResult().isSuccess()) {
        write(ctx, HttpResponseStatus.BAD_REQUEST, "bad request", head);
      } else if (!config.allows(client)) {
        log.debug("health: refused {} from {}: not in listeners.health.allowFrom", path, client.getHostAddress());
        write(ctx, HttpResponseStatus.FORBIDDEN, "forbidden", head);
      } else if (!path.equals("/healthz") && !path.equals("/readyz")) {
        write(ctx, HttpResponseStatus.NOT_FOUND, "not found", head);
      } else if (!req.method().equals(HttpMethod.GET) && !head) {
        write(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "method not allowed", head);
      } else if (path.equals("/readyz")) {
        boolean ready = Readiness.reasons(context).isEmpty();
        write(ctx, ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, ready ? "ready" : "not ready", head);
      } else {
        CompletableFuture<List<String>> probe = HealthProbe.probe(context.eventLoops(), HealthProbe.DEFAULT_TIMEOUT);
        probe.thenAccept(problems -> write(ctx,
            problems.isEmpty() ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
            problems.isEmpty() ? "ok" : "unhealthy", head));
      }
    }

    private static void write(ChannelHandlerContext ctx, HttpResponseStatus status, String word, boolean head) {
      ByteBuf body = head ? Unpooled.EMPTY_BUFFER : Unpooled.copiedBuffer(word + "\n", StandardCharsets.US_ASCII);
      FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
      res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
      res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      HttpUtil.setContentLength(res, word.length() + 1L);
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
