package dev.edgeproxy.server.admin;

import dev.edgeproxy.config.AdminListenerConfig;
import dev.edgeproxy.server.transport.Transport;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin HTTP endpoint ({@code listeners.admin}): {@code /healthz /readyz /metrics /status
 * /allowlist}, {@code POST /sync} and {@code POST /hooks/git}; see {@link AdminHandler}.
 *
 * <p>Bounded everywhere (see {@link ListenerConnectionLimit} and {@link AdminGate}): at most {@code
 * maxConnections} connections; every request head is judged (allowFrom, path, token, webhook
 * signature header) before its body is read; bodies are capped at {@link #MAX_BODY_BYTES} for a
 * signed webhook and {@link #MAX_SMALL_BODY_BYTES} for anything else (413); a request must arrive
 * whole within {@link AdminGate#REQUEST_TIMEOUT} of accept or of the previous answer; reading stops
 * while answers are not taken. Work that may take more than a moment runs on a small bounded
 * executor owned here; a full queue answers 503 rather than queueing without end.
 */
public final class AdminServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(AdminServer.class);
  static final int MAX_BODY_BYTES = 1 << 20;
  static final int MAX_SMALL_BODY_BYTES = 4096;
  private static final int EXECUTOR_THREADS = 2;
  private static final int EXECUTOR_QUEUE = 64;

  private final SmallHttpListener sockets;
  private final ThreadPoolExecutor executor;
  private final AdminMetrics metrics;

  private AdminServer(SmallHttpListener sockets, ThreadPoolExecutor executor, AdminMetrics metrics) {
    this.sockets = sockets;
    this.executor = executor;
    this.metrics = metrics;
  }

  /**
   * Binds every admin address. Must not be called on an event loop (binding the event loop
   * metrics waits for the loops).
   *
   * @throws IllegalStateException when an address cannot be bound
   */
  public static AdminServer start(
      AdminListenerConfig config,
      EventLoopGroup acceptors,
      EventLoopGroup workers,
      Transport transport,
      AdminContext context)
      throws InterruptedException {
    ThreadPoolExecutor executor = newExecutor();
    AdminMetrics metrics = AdminMetrics.bind(context);
    AdminHandler handler = new AdminHandler(config, context, metrics, executor);
    ListenerConnectionLimit limit =
        new ListenerConnectionLimit(
            "admin",
            config.maxConnections(),
            config.maxConnectionsFromOutside(),
            config::allows,
            AdminReply.JSON,
            "{\"error\": \"too many admin connections, retry later\"}\n");
    try {
      SmallHttpListener sockets =
          SmallHttpListener.bind(
              "admin",
              config.binds(),
              limit,
              pipeline ->
                  pipeline
                      .addLast(new HttpServerCodec())
                      .addLast(new AdminGate(handler::admit))
                      .addLast(new CappedAggregator())
                      .addLast(handler),
              acceptors,
              workers,
              transport);
      return new AdminServer(sockets, executor, metrics);
    } catch (IllegalStateException | InterruptedException e) {
      executor.shutdownNow();
      metrics.close();
      throw e;
    }
  }

  @Override
  public void close() {
    sockets.close();
    executor.shutdown();
    try {
      if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      executor.shutdownNow();
    }
    metrics.close();
  }

  private static ThreadPoolExecutor newExecutor() {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(
        EXECUTOR_THREADS,
        EXECUTOR_THREADS,
        30,
        TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(EXECUTOR_QUEUE),
        r -> {
          Thread t = new Thread(r, "edge-admin-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        },
        new ThreadPoolExecutor.AbortPolicy());
  }

  /**
   * Answers an over-long body with 413 and closes at once, instead of the default of keeping the
   * connection and reading (and discarding) the rest of the body.
   */
  private static final class CappedAggregator extends HttpObjectAggregator {
    CappedAggregator() {
      super(MAX_BODY_BYTES);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      byte[] body =
          ("{\"error\": \"request body larger than " + MAX_BODY_BYTES + " bytes\"}\n")
              .getBytes(StandardCharsets.UTF_8);
      FullHttpResponse res =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1,
              HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
              Unpooled.wrappedBuffer(body));
      res.headers().set(HttpHeaderNames.CONTENT_TYPE, AdminReply.JSON);
      res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      HttpUtil.setContentLength(res, body.length);
      log.warn(
          "admin: refused a request from {}: body larger than {} bytes",
          ctx.channel().remoteAddress(),
          MAX_BODY_BYTES);
      ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
