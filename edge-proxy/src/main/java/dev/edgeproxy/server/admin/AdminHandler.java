package dev.edgeproxy.server.admin;

import dev.edgeproxy.config.AdminListenerConfig;
import dev.edgeproxy.config.AllowListConfig;
import dev.edgeproxy.git.WebhookVerifier;
import dev.edgeproxy.server.observe.AccessLog;
import dev.edgeproxy.server.sources.AllowListService;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.util.AttributeKey;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the admin paths of the spec. On the event loop only cheap work is done (routing, auth,
 * readiness); scraping, JSON documents, webhook HMACs and anything that may take the allow-list
 * lock (a forced apply writes the state file) run on the admin executor. Answers of one connection
 * are written in request order (a pipelined request answered inline waits for the answer before
 * it), chained through {@link #ORDER}.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(AdminHandler.class);
  private static final int MAX_LOGGED_PATH = 120;

  /** The admin paths and the method each answers. */
  enum Route {
    HEALTHZ("/healthz", HttpMethod.GET),
    READYZ("/readyz", HttpMethod.GET),
    METRICS("/metrics", HttpMethod.GET),
    STATUS("/status", HttpMethod.GET),
    ALLOWLIST("/allowlist", HttpMethod.GET),
    SYNC("/sync", HttpMethod.POST),
    DRAIN("/drain", HttpMethod.POST),
    HOOKS_GIT("/hooks/git", HttpMethod.POST);

    final String path;
    final HttpMethod method;

    Route(String path, HttpMethod method) {
      this.path = path;
      this.method = method;
    }

    static Optional<Route> of(String path) {
      for (Route r : values()) {
        if (r.path.equals(path)) {
          return Optional.of(r);
        }
      }
      return Optional.empty();
    }

    boolean accepts(HttpMethod m) {
      return m.equals(method) || (method.equals(HttpMethod.GET) && m.equals(HttpMethod.HEAD));
    }
  }

  /** What a request carries, copied off the reference-counted message. */
  private record Call(
      Route route,
      InetAddress client,
      QueryStringDecoder query,
      Map<String, String> headers,
      byte[] body) {}

  /** The write of the connection's latest answer; the next answer is written after it. */
  private static final AttributeKey<CompletableFuture<Void>> ORDER =
      AttributeKey.valueOf(AdminHandler.class, "order");

  private final AdminListenerConfig config;
  private final AdminContext context;
  private final AdminMetrics metrics;
  private final Executor executor;

  AdminHandler(
      AdminListenerConfig config, AdminContext context, AdminMetrics metrics, Executor executor) {
    this.config = config;
    this.context = context;
    this.metrics = metrics;
    this.executor = executor;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
    boolean keepAlive = HttpUtil.isKeepAlive(req);
    boolean head = req.method().equals(HttpMethod.HEAD);
    InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
    QueryStringDecoder query = new QueryStringDecoder(req.uri());
    log.debug("admin: {} {} from {}", req.method(), req.uri(), client.getHostAddress());
    CompletableFuture<AdminReply> reply;
    if (!req.decoderResult().isSuccess()) {
      reply = done(AdminReply.error(HttpResponseStatus.BAD_REQUEST, "malformed request"));
      keepAlive = false;
    } else {
      reply = dispatch(req, client, query);
    }
    boolean keep = keepAlive;
    CompletableFuture<Void> previous = ctx.channel().attr(ORDER).get();
    CompletableFuture<Void> written = new CompletableFuture<>();
    ctx.channel().attr(ORDER).set(written);
    CompletableFuture<AdminReply> answer =
        reply.exceptionally(
            error -> {
              log.error("admin: {} failed", pathForLog(query.path()), error);
              return AdminReply.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error");
            });
    (previous == null ? answer : answer.thenCombine(previous, (r, v) -> r))
        .thenAccept(r -> write(ctx, r, keep, head).addListener(f -> written.complete(null)));
  }

  private CompletableFuture<AdminReply> dispatch(
      FullHttpRequest req, InetAddress client, QueryStringDecoder query) {
    String path = query.path();
    Optional<Route> route = Route.of(path);
    if (route.orElse(null) != Route.HOOKS_GIT && !config.allows(client)) {
      log.warn("admin: refused {} {} from {}: not in allowFrom", req.method(), pathForLog(path), client.getHostAddress());
      return done(AdminReply.error(HttpResponseStatus.FORBIDDEN, "forbidden: address not in listeners.admin.allowFrom"));
    }
    if (route.isEmpty()) {
      return done(AdminReply.error(HttpResponseStatus.NOT_FOUND, "not found: " + path));
    }
    Route r = route.get();
    if (!r.accepts(req.method())) {
      String allow = r.method.equals(HttpMethod.GET) ? "GET, HEAD" : r.method.name();
      return done(
          AdminReply.error(HttpResponseStatus.METHOD_NOT_ALLOWED, path + " answers " + allow)
              .withHeader(HttpHeaderNames.ALLOW.toString(), allow));
    }
    return switch (r) {
      case HEALTHZ -> health();
      case READYZ -> done(readiness());
      case METRICS -> offLoop(() -> metrics(req.headers().get(HttpHeaderNames.ACCEPT)));
      case STATUS -> offLoop(() -> AdminReply.json(HttpResponseStatus.OK, StatusView.status(context)));
      case ALLOWLIST ->
          offLoop(
              () ->
                  AdminReply.json(
                      HttpResponseStatus.OK, StatusView.allowList(context.allowList().registry())));
      case SYNC -> sync(req, client, query);
      case DRAIN -> drain(req, client, query);
      case HOOKS_GIT -> hook(new Call(r, client, query, headers(req), ByteBufUtil.getBytes(req.content())));
    };
  }

  /**
   * Judges a request head before its body is read ({@link AdminGate}); a refused one is answered
   * by {@link #dispatch} from its head alone (403, 401, 405...). Only a webhook carrying a forge's
   * signature header may send a body up to {@link AdminServer#MAX_BODY_BYTES}: its signature can
   * only be checked with the body. Anything else gets {@link AdminServer#MAX_SMALL_BODY_BYTES}.
   */
  AdminGate.Admission admit(HttpRequest head, InetAddress client) {
    Route route = Route.of(new QueryStringDecoder(head.uri()).path()).orElse(null);
    if (route == Route.HOOKS_GIT) {
      return route.accepts(head.method()) && WebhookVerifier.carriesSignature(head.headers()::contains)
          ? AdminGate.Admission.upTo(AdminServer.MAX_BODY_BYTES)
          : AdminGate.Admission.refuse();
    }
    if (!config.allows(client)) {
      return AdminGate.Admission.refuse();
    }
    if (route == Route.SYNC
        && config.syncToken()
            .filter(t -> AdminAuth.bearerMatches(head.headers().get(HttpHeaderNames.AUTHORIZATION), t))
            .isEmpty()) {
      return AdminGate.Admission.refuse();
    }
    return AdminGate.Admission.upTo(AdminServer.MAX_SMALL_BODY_BYTES);
  }

  private CompletableFuture<AdminReply> health() {
    return HealthProbe.probe(context.eventLoops(), HealthProbe.DEFAULT_TIMEOUT)
        .thenApply(
            problems ->
                problems.isEmpty()
                    ? AdminReply.text(HttpResponseStatus.OK, "ok\n")
                    : AdminReply.json(HttpResponseStatus.SERVICE_UNAVAILABLE, problems));
  }

  private AdminReply readiness() {
    List<String> reasons =
        Readiness.reasons(
            context.serverReadiness().get(),
            context.routing().get(),
            context.allowList().current());
    // a failed state-file save does not stop serving, but readiness says it (issue: disk full)
    String saveWarning =
        context.allowList().registry().saveFailure()
            .map(f -> "warning: allow-list state file not saved since " + f.since() + " (" + f.error() + "); retrying\n")
            .orElse("");
    return reasons.isEmpty()
        ? AdminReply.text(HttpResponseStatus.OK, "ready\n" + saveWarning)
        : AdminReply.json(HttpResponseStatus.SERVICE_UNAVAILABLE, reasons);
  }

  private AdminReply metrics(String accept) {
    metrics.refresh();
    String contentType =
        accept != null && accept.contains("application/openmetrics-text")
            ? OpenMetricsTextFormatWriter.CONTENT_TYPE
            : PrometheusTextFormatWriter.CONTENT_TYPE;
    ByteBuf buf = Unpooled.buffer(64 * 1024);
    try (ByteBufOutputStream out = new ByteBufOutputStream(buf)) {
      context.meters().scrape(out, contentType);
    } catch (IOException | RuntimeException e) {
      buf.release();
      log.error("admin: cannot scrape the metrics", e);
      return AdminReply.error(HttpResponseStatus.INTERNAL_SERVER_ERROR, "cannot scrape metrics");
    }
    return new AdminReply(HttpResponseStatus.OK, contentType, buf, Map.of());
  }

  /**
   * {@code POST /drain}: takes the node out of service before an upgrade. {@code /readyz} fails
   * from now on, so a health check stops sending new clients, while the listeners keep accepting
   * and open connections carry on; the answer counts them. {@code ?cancel=true} puts the node back
   * in service; a restart does too (the flag lives in memory).
   */
  private CompletableFuture<AdminReply> drain(
      FullHttpRequest req, InetAddress client, QueryStringDecoder query) {
    Optional<AdminReply> refused = AdminAuth.refusal(config, req, client, "/drain");
    if (refused.isPresent()) {
      return done(refused.get());
    }
    boolean inService = AdminAuth.flag(query, "cancel");
    context.outOfService().set(!inService);
    log.info(
        "admin: {} (requested from {})",
        inService ? "back in service" : "taken out of service, readiness fails until a restart",
        client.getHostAddress());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("outOfService", !inService);
    body.put("connections", context.activeConnections().getAsLong());
    return done(AdminReply.json(HttpResponseStatus.OK, body));
  }

  private CompletableFuture<AdminReply> sync(
      FullHttpRequest req, InetAddress client, QueryStringDecoder query) {
    Optional<AdminReply> refused = AdminAuth.refusal(config, req, client, "/sync");
    if (refused.isPresent()) {
      return done(refused.get());
    }
    boolean force = AdminAuth.flag(query, "force");
    return offLoop(
        () -> {
          AllowListService allowList = context.allowList();
          boolean forced = force && allowList.registry().force();
          allowList.syncAll();
          log.info(
              "admin: sync of {} requested from {}{}",
              allowList.sources().keySet(),
              client.getHostAddress(),
              force ? (forced ? ", held-back change applied" : ", nothing was held back") : "");
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("status", "accepted");
          body.put("sources", List.copyOf(allowList.sources().keySet()));
          body.put("forced", forced);
          body.put("version", allowList.current().version());
          return AdminReply.json(HttpResponseStatus.ACCEPTED, body);
        });
  }

  private CompletableFuture<AdminReply> hook(Call call) {
    Optional<AllowListConfig.GitSourceConfig> git = context.config().allowlist().git();
    if (git.isEmpty() || !context.allowList().sources().containsKey("git")) {
      // 401 as for any request without a valid signature: the path is reachable from outside and
      // must not tell a caller whether this node follows a Git repository.
      log.warn("admin: refused POST /hooks/git from {}: no git source is configured (allowlist.git)", call.client().getHostAddress());
      return done(AdminReply.error(HttpResponseStatus.UNAUTHORIZED, "no valid webhook signature"));
    }
    Optional<String> secretEnv = git.get().webhookSecretEnv();
    String secret = secretEnv.map(context.env()).orElse(null);
    if (secret == null || secret.isEmpty()) {
      String why =
          secretEnv.isEmpty()
              ? "allowlist.git.webhookSecretEnv is not set"
              : "the environment variable " + secretEnv.get() + " is unset or empty";
      log.warn("admin: refused POST /hooks/git from {}: no webhook secret ({})", call.client().getHostAddress(), why);
      return done(
          AdminReply.error(HttpResponseStatus.UNAUTHORIZED, "webhook secret not configured: " + why));
    }
    return offLoop(
        () -> {
          WebhookVerifier.Result result = WebhookVerifier.verify(call.headers(), call.body(), secret);
          if (!result.valid()) {
            log.warn(
                "admin: refused POST /hooks/git from {}: {}",
                call.client().getHostAddress(),
                result.reason());
            return AdminReply.error(HttpResponseStatus.UNAUTHORIZED, result.reason());
          }
          String forge = result.forge().map(f -> f.name().toLowerCase(java.util.Locale.ROOT)).orElse("?");
          if (!context.allowList().runNow("git")) {
            return AdminReply.error(
                HttpResponseStatus.SERVICE_UNAVAILABLE, "the git source cannot be run now");
          }
          log.info("admin: git webhook ({}) from {}: git source runs now", forge, call.client().getHostAddress());
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("status", "accepted");
          body.put("source", "git");
          body.put("forge", forge);
          return AdminReply.json(HttpResponseStatus.ACCEPTED, body);
        });
  }

  /**
   * A request path as the log quotes it: chosen by any client (also from outside {@code
   * allowFrom}) and percent-decoded, so escaped to stay on one line (a decoded {@code %0a} would
   * start a forged line in the text log) and cut to {@value #MAX_LOGGED_PATH} characters.
   */
  static String pathForLog(String path) {
    String cut =
        path.length() <= MAX_LOGGED_PATH
            ? path
            : path.substring(0, MAX_LOGGED_PATH) + "...(" + path.length() + " chars)";
    return AccessLog.textValue(cut);
  }

  private static Map<String, String> headers(FullHttpRequest req) {
    Map<String, String> out = new LinkedHashMap<>();
    req.headers().forEach(h -> out.putIfAbsent(h.getKey(), h.getValue()));
    return out;
  }

  private CompletableFuture<AdminReply> offLoop(Supplier<AdminReply> work) {
    try {
      return CompletableFuture.supplyAsync(work, executor);
    } catch (RejectedExecutionException e) {
      return done(AdminReply.error(HttpResponseStatus.SERVICE_UNAVAILABLE, "admin endpoint busy, retry"));
    }
  }

  private static CompletableFuture<AdminReply> done(AdminReply reply) {
    return CompletableFuture.completedFuture(reply);
  }

  private static ChannelFuture write(
      ChannelHandlerContext ctx, AdminReply reply, boolean keepAlive, boolean head) {
    ByteBuf content = reply.body();
    int length = content.readableBytes();
    if (head) {
      content.release();
      content = Unpooled.EMPTY_BUFFER;
    }
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, reply.status(), content);
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, reply.contentType());
    res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    reply.headers().forEach((k, v) -> res.headers().set(k, v));
    HttpUtil.setContentLength(res, length);
    HttpUtil.setKeepAlive(res, keepAlive);
    ChannelFuture f = ctx.writeAndFlush(res);
    if (!keepAlive) {
      f.addListener(ChannelFutureListener.CLOSE);
    }
    return f;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!(cause instanceof ReadTimeoutException) && !(cause instanceof IOException)) {
      log.debug("admin connection failed: {}", cause.toString());
    }
    ctx.close();
  }
}
