package dev.edgeproxy.sni;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Acts on each request's {@link HttpAdmission} verdict, one request at a time: answers it here
 * (refusal, redirect: {@link HttpReplies}) or hands it to the {@link HttpBackendSide}, and sends
 * or drops its content accordingly. A forwarded request for another pool than the connection's
 * backend is refused as misdirected. The client half ({@link HttpFrontendHandler}) calls it only
 * for a request it is ready to handle.
 */
final class HttpDispatch {
  /** What happens to the current request's content. */
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
  private final HttpFrontendEncoder encoder;
  private final HttpFrontendHandler frontend;
  private final HttpBackendSide backend;
  private final ChannelHandlerContext ctx;
  private Body body = Body.NONE;
  /** The host of the latest request, for the access log. */
  private String lastHost;

  HttpDispatch(
      HttpFrontendSettings settings,
      RouteResolver resolver,
      ConnectionTracker tracker,
      HttpFrontendEncoder encoder,
      HttpFrontendHandler frontend,
      HttpBackendSide backend,
      ChannelHandlerContext ctx) {
    this.settings = settings;
    this.resolver = resolver;
    this.tracker = tracker;
    this.encoder = encoder;
    this.frontend = frontend;
    this.backend = backend;
    this.ctx = ctx;
  }

  /** A request's content is still to come. */
  boolean inBody() {
    return body != Body.NONE;
  }

  boolean forwardingBody() {
    return body == Body.FORWARD;
  }

  boolean discardingBody() {
    return body == Body.DISCARD;
  }

  void onHead(HttpRequest request) {
    try {
      HttpAdmission.Verdict verdict = HttpAdmission.decide(request, settings.mode(), resolver, tracker.info());
      if (verdict instanceof HttpAdmission.Refuse r) {
        refuse(r.reason(), r.host(), r.status(), r.text());
      } else if (verdict instanceof HttpAdmission.Redirect r) {
        seen(r.host());
        redirect(request, r.host(), r.path());
      } else if (verdict instanceof HttpAdmission.Forward f) {
        seen(f.host());
        boolean webSocket = f.rewrite(request);
        if (forward(request, f.route(), webSocket)) {
          request = null; // ownership went to the backend
        }
      } else {
        tracker.fail(HttpReasons.RESOLVER_ERROR);
        frontend.respondAndClose(HttpReplies.status(HttpResponseStatus.SERVICE_UNAVAILABLE, "service unavailable"));
      }
    } finally {
      ReferenceCountUtil.release(request);
    }
  }

  void onContent(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    if (content.decoderResult().isFailure()) {
      // A broken body (bad chunk, early close): the exchange cannot be completed.
      content.release();
      if (body == Body.FORWARD) {
        // Part of the request is already with the backend: no clean answer is possible.
        tracker.closeReason(HttpReasons.BAD_REQUEST);
        frontend.closeBoth();
      } else {
        refuse(HttpReasons.BAD_REQUEST, null, HttpResponseStatus.BAD_REQUEST, "bad request");
      }
      return;
    }
    if (body == Body.FORWARD) {
      backend.sendContent(content, frontend.phase() == HttpFrontendHandler.Phase.CONNECTING);
    } else {
      content.release();
    }
    if (last) {
      body = Body.NONE;
    }
  }

  private void seen(String host) {
    lastHost = host;
    tracker.lastHost(host);
  }

  /** Sends the request towards the backend; false when it was refused instead (caller releases). */
  private boolean forward(HttpRequest request, RouteDecision.Forward route, boolean webSocket) {
    if (backend.boundToOtherPool(route.pool())) {
      // This connection is bound to another pool's backend: the client must open a new one.
      refuse(HttpReasons.MISDIRECTED, route.host(), HttpResponseStatus.MISDIRECTED_REQUEST,
          "misdirected request: this connection serves another host");
      return false;
    }
    tracker.forwarding(route);
    body = Body.FORWARD;
    boolean keepAlive = HttpUtil.isKeepAlive(request) && !frontend.clientInputShut();
    backend.send(request, route, keepAlive, HttpMethod.HEAD.equals(request.method()), webSocket);
    return true;
  }

  private void redirect(HttpRequest request, String host, String path) {
    tracker.redirected(host);
    boolean keepAlive = HttpReplies.redirectKeepsAlive(request, frontend.clientInputShut());
    FullHttpResponse response = HttpReplies.redirect(request, host, path, keepAlive);
    if (!keepAlive) {
      frontend.respondAndClose(response);
      return;
    }
    body = Body.DISCARD;
    encoder.headRequest(false);
    ctx.writeAndFlush(response, ctx.voidPromise());
  }

  /** A request refused here: tagged, answered, connection closed. */
  private void refuse(String reason, String host, HttpResponseStatus status, String text) {
    if (host != null) {
      seen(host);
    }
    tracker.refuse(reason, lastHost);
    tracker.closeReason(reason); // when earlier requests on this connection were forwarded
    frontend.respondAndClose(HttpReplies.status(status, text));
  }
}
