package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The HTTP listener's state machine, on the client channel behind the request decoder. Every
 * request head is checked against the resolver; requests are handled one at a time, in order: a
 * pipelined request waits (reads paused) until the previous exchange is over, so that a refusal or
 * a local answer never overtakes a backend response and nothing of one host leaks into another's
 * exchange.
 *
 * <ul>
 *   <li>refused host: {@code 421} and close; nothing forwarded for it;
 *   <li>redirect mode: {@code 308} to https (body discarded, keep-alive honoured), except ACME
 *       challenges, which are forwarded;
 *   <li>forward: the first forwarded request opens the backend connection (PROXY header with the
 *       Host as AUTHORITY); later requests routed to the same pool reuse it, a request routed to
 *       another pool gets {@code 421} and the connection closes;
 *   <li>a {@code 101} from the backend turns the connection into a raw relay, only when it answers
 *       a WebSocket handshake ({@link HttpUpgrades}); any other {@code 101} is a {@code 502}.
 * </ul>
 *
 * <p>Only one spelling of a request gets through ({@link HttpHostCheck}): the backend is sent the
 * origin-form target and the Host that were checked. A client that does not read its answers is
 * not read either: a head is handled only while the channel is writable, and at most {@link
 * #MAX_QUEUED_REQUESTS} pipelined requests wait.
 *
 * <p>Everything runs on the client's event loop (the backend channel shares it).
 */
final class HttpFrontendHandler extends ChannelInboundHandlerAdapter {

  static final String REASON_TIMEOUT = "timeout";
  static final String REASON_TOO_LARGE = "too_large";
  static final String REASON_MISDIRECTED = "misdirected";
  static final String REASON_PIPELINE_LIMIT = "pipeline_limit";
  /**
   * Requests read ahead of the one being handled. Reading pauses as soon as one waits, but one read
   * can hold hundreds of small pipelined requests: past this many, the rest of the input is
   * dropped and the connection closes once the queued ones are answered (a client must be ready to
   * resend pipelined requests on a new connection).
   */
  static final int MAX_QUEUED_REQUESTS = 16;
  /** How long a closing connection keeps reading (and dropping) so that its last answer arrives. */
  static final long LINGER_MILLIS = 2000;
  /** Response heads come from our own backends: more room than for clients. */
  private static final int BACKEND_MAX_HEADER_BYTES = 64 * 1024;

  private enum Body {
    /** Between requests. */
    NONE,
    /** The current request goes to the backend: its content follows it. */
    FORWARD,
    /** The current request was answered here: its content is dropped. */
    DISCARD
  }

  private final HttpFrontendSettings settings;
  private final RouteResolver resolver;
  private final ConnectionTracker tracker;
  private final Dialer dialer;
  private final HttpByteCounter counter;
  private final HttpFrontendEncoder encoder;
  /** Requests (and their content) read while the previous exchange is not over. */
  private final ArrayDeque<HttpObject> queue = new ArrayDeque<>();
  /** The first request's messages while its backend connection is being made. */
  private final List<HttpObject> whileConnecting = new ArrayList<>();

  private ChannelHandlerContext ctx;
  private Body body = Body.NONE;
  private Channel backend;
  private String backendPool;
  private Runnable cancelDial;
  private boolean connecting;
  /** Requests sent to the backend whose final response has not ended yet (0 or 1). */
  private int outstanding;
  private boolean currentKeepAlive;
  private boolean currentHead;
  private boolean responseStarted;
  private boolean responseKeepAlive;
  private boolean informational;
  private boolean upgrading;
  /** The current forwarded request is a WebSocket handshake: the one exchange a 101 may answer. */
  private boolean currentWebSocket;
  private int queuedRequests;
  /** More requests were pipelined than {@link #MAX_QUEUED_REQUESTS}: input is dropped from here. */
  private boolean overflowed;
  private boolean closing;
  private boolean clientInputShut;
  private boolean draining;
  private boolean announced;
  private ScheduledFuture<?> headTimer;
  private long bytesAtReady;
  /** The host of the latest request, for the access log. */
  private String lastHost;

  HttpFrontendHandler(
      HttpFrontendSettings settings,
      RouteResolver resolver,
      ConnectionTracker tracker,
      Dialer dialer,
      HttpByteCounter counter,
      HttpFrontendEncoder encoder) {
    this.settings = settings;
    this.resolver = resolver;
    this.tracker = tracker;
    this.dialer = dialer;
    this.counter = counter;
    this.encoder = encoder;
  }

  // ---- client side -------------------------------------------------------------------------

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    // The first head's time counts from accept.
    long remaining = settings.headerTimeout().toNanos() - (System.nanoTime() - tracker.startNanos());
    armHeadTimer(Math.max(0, remaining));
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    cancelHeadTimer();
    releaseHeld();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (closing || overflowed || !(msg instanceof HttpObject obj)) {
      ReferenceCountUtil.release(msg); // nothing read after a refusal goes anywhere
      return;
    }
    if (!queue.isEmpty() || (obj instanceof HttpRequest && !readyForHead())) {
      if (obj instanceof HttpRequest && queuedRequests == MAX_QUEUED_REQUESTS) {
        overflowed = true;
        ReferenceCountUtil.release(obj);
        updateClientRead();
        return;
      }
      if (obj instanceof HttpRequest) {
        queuedRequests++;
      }
      queue.add(obj); // owned by the queue until processed or released on close
      updateClientRead();
      return;
    }
    process(obj);
    afterProcessing();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (backend != null) {
      backend.flush();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    // The backend reads only while the client can take its bytes; so does the client, whose
    // requests would otherwise pile up answers that it does not read.
    if (backend != null && !closing) {
      backend.config().setAutoRead(ctx.channel().isWritable());
    }
    if (ctx.channel().isWritable() && !closing && !upgrading) {
      // Later, not inside the write or flush that made room: that exchange is not over yet.
      ctx.executor().execute(this::resumeAfterWritable);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      clientInputShut = true;
      if (closing || (readyForHead() && queue.isEmpty())) {
        ctx.close(); // nothing more can come, nothing is owed
      } else if (body != Body.NONE) {
        tracker.closeReason("client_closed"); // a request cut short
        closeBoth();
      }
      // else: an answer is still owed; the connection closes once it is sent.
    } else if (evt instanceof IdleStateEvent) {
      tracker.closeReason("idle_timeout");
      closeBoth();
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closing = true;
    cancelHeadTimer();
    releaseHeld();
    if (cancelDial != null) {
      cancelDial.run();
      cancelDial = null;
      tracker.fail("client_closed");
    }
    if (backend != null) {
      backend.close();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    tracker.fail("io_error");
    closeBoth();
  }

  private void resumeAfterWritable() {
    if (!closing && !upgrading && ctx.channel().isActive()) {
      afterProcessing();
    }
  }

  /** A new request head may be handled now; not while the client leaves its answers unread. */
  private boolean readyForHead() {
    return body == Body.NONE && outstanding == 0 && !connecting && !closing && !upgrading
        && ctx.channel().isWritable();
  }

  private void process(HttpObject obj) {
    if (obj instanceof HttpRequest request) {
      onHead(request);
    } else if (obj instanceof HttpContent content) {
      onContent(content);
    } else {
      ReferenceCountUtil.release(obj);
    }
  }

  private void onHead(HttpRequest request) {
    cancelHeadTimer();
    try {
      if (request.decoderResult().isFailure()) {
        Throwable cause = request.decoderResult().cause();
        if (cause instanceof TooLongHttpLineException) {
          refuse(REASON_TOO_LARGE, null, HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long");
        } else if (cause instanceof TooLongHttpHeaderException) {
          refuse(REASON_TOO_LARGE, null, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request head too large");
        } else {
          refuse(HttpHostCheck.BAD_REQUEST, null, HttpResponseStatus.BAD_REQUEST, "bad request");
        }
        return;
      }
      if (!HttpVersion.HTTP_1_1.equals(request.protocolVersion())
          && !HttpVersion.HTTP_1_0.equals(request.protocolVersion())) {
        // Among others the HTTP/2 preface (PRI * HTTP/2.0): no other protocol is spoken here.
        refuse(HttpHostCheck.BAD_REQUEST, null, HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP/1.x only");
        return;
      }
      if (HttpMethod.CONNECT.equals(request.method())) {
        refuse(HttpHostCheck.BAD_REQUEST, null, HttpResponseStatus.METHOD_NOT_ALLOWED, "CONNECT is not served here");
        return;
      }
      HttpHostCheck.Target target = HttpHostCheck.target(request);
      if (target.error() != null) {
        refuse(target.error(), null, HttpResponseStatus.BAD_REQUEST,
            HttpHostCheck.NO_HOST.equals(target.error()) ? "missing Host" : "bad Host");
        return;
      }
      RouteDecision decision;
      try {
        decision = resolver.resolve(new RouteRequest(tracker.info(), target.host(), List.of(), false));
      } catch (RuntimeException e) {
        decision = null;
      }
      if (decision instanceof RouteDecision.Refuse r) {
        String host = r.host() != null ? r.host() : target.host();
        if (r.alert()) {
          refuse(r.reason(), host, HttpResponseStatus.MISDIRECTED_REQUEST, "unknown host");
        } else {
          refuse(r.reason(), host, HttpResponseStatus.SERVICE_UNAVAILABLE, "service unavailable");
        }
        return;
      }
      if (!(decision instanceof RouteDecision.Forward forward)) {
        tracker.fail("resolver_error");
        respondAndClose(status(HttpResponseStatus.SERVICE_UNAVAILABLE, "service unavailable", true));
        return;
      }
      String host = forward.host() != null ? forward.host() : target.host();
      lastHost = host;
      tracker.lastHost(host);
      if (settings.mode() == HttpFrontendSettings.Mode.REDIRECT
          && !HttpHostCheck.isAcmeChallenge(target.path())) {
        redirect(request, host, target.path());
        return;
      }
      // The backend gets the host that was checked and no other: origin-form, checked Host.
      if (!target.path().equals(request.uri())) {
        request.setUri(target.path());
      }
      if (!target.hostHeader().equals(request.headers().get(HttpHeaderNames.HOST))) {
        request.headers().set(HttpHeaderNames.HOST, target.hostHeader());
      }
      currentWebSocket = HttpUpgrades.sanitize(request);
      if (forward(request, forward)) {
        request = null; // ownership went to the backend
      }
    } finally {
      ReferenceCountUtil.release(request);
    }
  }

  private void onContent(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    if (content.decoderResult().isFailure()) {
      // A broken body (bad chunk, early close): the exchange cannot be completed.
      content.release();
      if (body == Body.FORWARD) {
        // Part of the request is already with the backend: no clean answer is possible.
        tracker.closeReason(HttpHostCheck.BAD_REQUEST);
        closeBoth();
      } else {
        refuse(HttpHostCheck.BAD_REQUEST, null, HttpResponseStatus.BAD_REQUEST, "bad request");
      }
      return;
    }
    switch (body) {
      case FORWARD -> {
        if (connecting) {
          whileConnecting.add(content);
        } else if (backend != null && backend.isActive()) {
          backend.write(content, backend.voidPromise());
        } else {
          content.release();
        }
      }
      case DISCARD, NONE -> content.release();
    }
    if (last) {
      body = Body.NONE;
    }
  }

  /** Sends the request towards the backend; false when it was refused instead (caller releases). */
  private boolean forward(HttpRequest request, RouteDecision.Forward decision) {
    if (backend != null && !decision.pool().equals(backendPool)) {
      // This connection is bound to another pool's backend: the client must open a new one.
      refuse(REASON_MISDIRECTED, decision.host(), HttpResponseStatus.MISDIRECTED_REQUEST,
          "misdirected request: this connection serves another host");
      return false;
    }
    tracker.forwarding(decision);
    outstanding++;
    body = Body.FORWARD;
    currentKeepAlive = HttpUtil.isKeepAlive(request) && !clientInputShut;
    currentHead = HttpMethod.HEAD.equals(request.method());
    responseStarted = false;
    informational = false;
    if (backend != null) {
      backend.write(request, backend.voidPromise());
      return true;
    }
    whileConnecting.add(request);
    connecting = true;
    backendPool = decision.pool();
    updateClientRead();
    cancelDial = dialer.dial(ctx.channel(), tracker, decision, ch -> backendConnected(ch, decision), this::dialFailed);
    return true;
  }

  private void redirect(HttpRequest request, String host, String path) {
    tracker.redirected(host);
    boolean keepAlive = HttpUtil.isKeepAlive(request) && !clientInputShut;
    // A client waiting for 100-continue may never send the body we would have to skip.
    if (HttpUtil.is100ContinueExpected(request) && hasBody(request)) {
      keepAlive = false;
    }
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PERMANENT_REDIRECT);
    response.headers()
        .set(HttpHeaderNames.LOCATION, HttpHostCheck.redirectLocation(host, path))
        .set(HttpHeaderNames.CONTENT_LENGTH, 0);
    if (!keepAlive) {
      respondAndClose(response);
      return;
    }
    if (request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    body = Body.DISCARD;
    encoder.headRequest(false);
    ctx.writeAndFlush(response, ctx.voidPromise());
  }

  private static boolean hasBody(HttpRequest request) {
    return HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
  }

  /** A request refused here: tagged, answered, connection closed. */
  private void refuse(String reason, String host, HttpResponseStatus status, String text) {
    if (host != null) {
      lastHost = host;
      tracker.lastHost(host);
    }
    tracker.refuse(reason, lastHost);
    tracker.closeReason(reason); // when earlier requests on this connection were forwarded
    respondAndClose(status(status, text, true));
  }

  private static FullHttpResponse status(HttpResponseStatus status, String text, boolean close) {
    ByteBuf content = Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .set(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
    if (close) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return response;
  }

  /** Sends a last answer, then closes, reading and dropping for a while so that it is not lost. */
  private void respondAndClose(FullHttpResponse response) {
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    encoder.headRequest(false);
    closing = true;
    cancelHeadTimer();
    releaseHeld();
    closeBackend();
    Channel channel = ctx.channel();
    channel.writeAndFlush(response).addListener((ChannelFutureListener) f -> lingerThenClose(channel, f.isSuccess()));
  }

  /**
   * Closing at once with unread request bytes in the socket makes the kernel send a reset, and the
   * client may lose the answer: shut our side, drop what still comes, close on the client's FIN or
   * after {@link #LINGER_MILLIS}.
   */
  private void lingerThenClose(Channel channel, boolean written) {
    if (!written || !(channel instanceof DuplexChannel duplex) || !channel.isActive() || clientInputShut) {
      channel.close();
      return;
    }
    duplex.shutdownOutput();
    channel.eventLoop().schedule(() -> { channel.close(); }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
    channel.config().setAutoRead(true);
  }

  private void afterProcessing() {
    if (!draining) {
      drainQueue();
    }
  }

  /** Processes what waited, in order, as far as the state allows; then arms the head timer. */
  private void drainQueue() {
    draining = true;
    try {
      while (!queue.isEmpty() && !closing) {
        HttpObject next = queue.peek();
        if (next instanceof HttpRequest) {
          if (!readyForHead()) {
            break;
          }
          queuedRequests--;
        }
        queue.poll();
        process(next);
      }
    } finally {
      draining = false;
    }
    if (backend != null) {
      backend.flush();
    }
    if (closing) {
      return;
    }
    if (readyForHead() && queue.isEmpty()) {
      if (overflowed) {
        tracker.closeReason(REASON_PIPELINE_LIMIT);
      }
      if (clientInputShut || overflowed) {
        closeOnFlush(ctx.channel());
        return;
      }
      if (headTimer == null) {
        bytesAtReady = counter.bytesIn();
        armHeadTimer(settings.headerTimeout().toNanos());
      }
    }
    updateClientRead();
  }

  private void updateClientRead() {
    if (closing || upgrading) {
      return;
    }
    boolean read;
    if (overflowed) {
      read = false;
    } else if (connecting) {
      read = false;
    } else if (body == Body.FORWARD) {
      read = backend != null && backend.isWritable();
    } else if (body == Body.DISCARD) {
      read = true;
    } else {
      read = queue.isEmpty() && outstanding == 0 && ctx.channel().isWritable();
    }
    ctx.channel().config().setAutoRead(read);
  }

  private void armHeadTimer(long nanos) {
    cancelHeadTimer();
    headTimer = ctx.executor().schedule(this::headTimeout, nanos, TimeUnit.NANOSECONDS);
  }

  private void cancelHeadTimer() {
    if (headTimer != null) {
      headTimer.cancel(false);
      headTimer = null;
    }
  }

  private void headTimeout() {
    headTimer = null;
    if (closing || !readyForHead() || !queue.isEmpty()) {
      return;
    }
    if (tracker.decision() == null) {
      tracker.refuse(REASON_TIMEOUT, null); // not one complete head in time
    } else if (counter.bytesIn() > bytesAtReady) {
      tracker.closeReason(REASON_TIMEOUT); // a slow head after earlier requests
    } // else an idle keep-alive connection: a normal end
    closing = true;
    releaseHeld();
    closeBackend();
    ctx.close();
  }

  private void releaseHeld() {
    HttpObject held;
    while ((held = queue.poll()) != null) {
      ReferenceCountUtil.release(held);
    }
    queuedRequests = 0;
    whileConnecting.forEach(ReferenceCountUtil::release);
    whileConnecting.clear();
  }

  private void closeBackend() {
    if (cancelDial != null) {
      cancelDial.run();
      cancelDial = null;
      connecting = false;
    }
    if (backend != null) {
      backend.close();
    }
  }

  void closeBoth() {
    closing = true;
    cancelHeadTimer();
    releaseHeld();
    closeBackend();
    ctx.close();
  }

  private static void closeOnFlush(Channel channel) {
    if (channel.isActive()) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else {
      channel.close();
    }
  }

  // ---- backend side ------------------------------------------------------------------------

  private void backendConnected(Channel channel, RouteDecision.Forward decision) {
    cancelDial = null;
    connecting = false;
    if (closing || !ctx.channel().isActive()) {
      channel.close();
      releaseHeld();
      return;
    }
    backend = channel;
    HttpDecoderConfig config =
        new HttpDecoderConfig().setMaxHeaderSize(BACKEND_MAX_HEADER_BYTES).setMaxInitialLineLength(8192);
    ChannelPipeline p = channel.pipeline();
    p.addLast(HttpFrontend.BACKEND_CODEC, new HttpClientCodec(config, false, false));
    p.addLast(HttpFrontend.BACKEND_HANDLER, new HttpBackendHandler(this));
    if (!announced) {
      announced = true;
      tracker.events()
          .connectionForwarded(tracker.info(), decision.host(), decision.pool(), this::closeFromOutside);
    }
    for (HttpObject held : whileConnecting) {
      channel.write(held, channel.voidPromise());
    }
    whileConnecting.clear();
    channel.flush();
    channel.config().setAutoRead(ctx.channel().isWritable());
    afterProcessing();
  }

  private void dialFailed() {
    cancelDial = null;
    connecting = false;
    backendPool = null;
    whileConnecting.forEach(ReferenceCountUtil::release);
    whileConnecting.clear();
    tracker.fail(UpstreamConnector.REASON_NO_BACKEND);
    respondAndClose(status(HttpResponseStatus.BAD_GATEWAY, "bad gateway", true));
  }

  /** {@link ConnectionHandle}: drain or revocation; safe from any thread. */
  private void closeFromOutside(String reason) {
    Channel channel = ctx.channel();
    if (!channel.eventLoop().inEventLoop()) {
      channel.eventLoop().execute(() -> closeFromOutside(reason));
      return;
    }
    tracker.closeReason(reason);
    closeBoth();
  }

  /** A message of the backend's response stream; ownership comes with it. */
  void backendRead(Object msg) {
    if (closing || !ctx.channel().isActive()) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpResponse response) {
      if (response.decoderResult().isFailure() || outstanding == 0) {
        ReferenceCountUtil.release(response); // garbage, or an answer nobody asked for
        backendBroken();
        return;
      }
      int code = response.status().code();
      informational = code >= 100 && code < 200 && code != 101;
      if (code == 101) {
        if (!currentWebSocket || !HttpUpgrades.switchesToWebSocket(response)) {
          // A switch nobody was let ask for: the tunnel would carry unchecked requests.
          ReferenceCountUtil.release(response);
          backendBroken();
          return;
        }
        upgrading = true;
      }
      if (!informational) {
        responseStarted = true;
        responseKeepAlive = HttpUtil.isKeepAlive(response) && framed(response);
      }
      encoder.headRequest(currentHead);
    } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
      content.release();
      backendBroken();
      return;
    }
    ctx.write(msg, ctx.voidPromise());
    if (!ctx.channel().isWritable()) {
      backend.config().setAutoRead(false);
    }
    if (msg instanceof LastHttpContent) {
      if (upgrading) {
        ctx.flush();
        switchToTunnel();
      } else if (informational) {
        informational = false;
      } else {
        responseEnded();
      }
    }
  }

  /** Whether the response's end is known without the connection closing. */
  private boolean framed(HttpResponse response) {
    int code = response.status().code();
    return currentHead || code == 204 || code == 304
        || HttpUtil.isContentLengthSet(response) || HttpUtil.isTransferEncodingChunked(response);
  }

  private void responseEnded() {
    outstanding--;
    ctx.flush();
    if (!currentKeepAlive || !responseKeepAlive) {
      closing = true;
      releaseHeld();
      closeBackend();
      closeOnFlush(ctx.channel());
      return;
    }
    afterProcessing();
  }

  void backendReadComplete() {
    ctx.flush();
  }

  void backendWritabilityChanged() {
    updateClientRead();
  }

  void backendInactive(Channel channel) {
    if (channel != backend) {
      return;
    }
    backend = null;
    backendPool = null;
    if (closing) {
      return;
    }
    if (outstanding > 0 || body == Body.FORWARD) {
      tracker.closeReason("backend_closed");
      if (!responseStarted) {
        respondAndClose(status(HttpResponseStatus.BAD_GATEWAY, "bad gateway", true));
      } else {
        closing = true;
        releaseHeld();
        closeOnFlush(ctx.channel());
      }
    }
    // else: the backend ended an idle keep-alive connection; the next request opens a new one.
  }

  void backendBroken() {
    tracker.closeReason("backend_error");
    if (!responseStarted && outstanding > 0) {
      respondAndClose(status(HttpResponseStatus.BAD_GATEWAY, "bad gateway", true));
    } else {
      closeBoth();
    }
  }

  /**
   * After a {@code 101 Switching Protocols} the connection carries another protocol: both sides
   * become a raw relay. Bytes either decoder still holds are passed on as it is removed.
   */
  private void switchToTunnel() {
    Channel client = ctx.channel();
    Channel server = backend;
    cancelHeadTimer();
    releaseHeld(); // anything decoded as HTTP after the upgrade request cannot be replayed
    Relay relay = new Relay(client, server, tracker);
    // Encoders go first: the decoders pass on what they still hold as raw bytes when removed, and
    // an HTTP encoder would refuse those.
    ChannelPipeline cp = client.pipeline();
    cp.remove(HttpFrontend.BYTES);
    cp.remove(HttpFrontend.ENCODER);
    cp.replace(this, PipelineNames.RELAY, new RelayHandler(relay, true));
    ChannelPipeline sp = server.pipeline();
    sp.replace(HttpFrontend.BACKEND_HANDLER, PipelineNames.RELAY, new RelayHandler(relay, false));
    ((HttpClientCodec) sp.get(HttpFrontend.BACKEND_CODEC)).removeOutboundHandler();
    cp.remove(HttpFrontend.DECODER);
    sp.remove(HttpFrontend.BACKEND_CODEC);
    if (clientInputShut) {
      relay.inputShutdown(client);
    } else {
      client.config().setAutoRead(server.isWritable());
    }
    server.config().setAutoRead(client.isWritable());
    server.flush();
  }
}
