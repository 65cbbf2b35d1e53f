package dev.edgeproxy.sni;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.util.List;

/**
 * What one request head gets, decided from the head alone: refused (with which status), redirected
 * to https, or forwarded to a pool. No channel, no state: what depends on the connection (a backend
 * already bound to another pool, the pipelining order) is the frontend's part.
 */
final class HttpAdmission {

  /** The decision for one request head. */
  sealed interface Verdict permits Refuse, Redirect, Forward, ResolverFailed {}

  /**
   * Answered here with {@code status} and closed; nothing forwarded.
   *
   * @param host the host to log, or null when the head named none that could be checked
   */
  record Refuse(Reason reason, String host, HttpResponseStatus status, String text) implements Verdict {}

  /** Answered {@code 308} to {@code https://host/path}. */
  record Redirect(String host, String path) implements Verdict {}

  /**
   * Sent to the route's pool as {@link #rewrite} leaves it.
   *
   * @param host the normalised host, for the access log
   */
  record Forward(RouteDecision.Forward route, String host, HttpHostCheck.Target target) implements Verdict {
    /**
     * Makes the request say only what was checked: origin-form target, checked Host, no upgrade
     * but WebSocket, no forwarding header of the client's writing.
     *
     * @return whether it is a WebSocket handshake, the one request a {@code 101} may answer
     */
    boolean rewrite(HttpRequest request) {
      if (!target.path().equals(request.uri())) {
        request.setUri(target.path());
      }
      if (!target.hostHeader().equals(request.headers().get(HttpHeaderNames.HOST))) {
        request.headers().set(HttpHeaderNames.HOST, target.hostHeader());
      }
      HttpForwardedHeaders.remove(request.headers());
      return HttpUpgrades.sanitize(request);
    }
  }

  /** The resolver threw or answered nothing usable: {@code 503}, tagged as an error. */
  record ResolverFailed() implements Verdict {}

  /** Decides for {@code request}; asks {@code resolver} only about a well-formed head. */
  static Verdict decide(
      HttpRequest request, HttpFrontendSettings.Mode mode, RouteResolver resolver, ConnectionInfo client) {
    if (request.decoderResult().isFailure()) {
      Throwable cause = request.decoderResult().cause();
      if (cause instanceof TooLongHttpLineException) {
        return refuse(Reason.TOO_LARGE, HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long");
      }
      if (cause instanceof TooLongHttpHeaderException) {
        return refuse(Reason.TOO_LARGE, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request head too large");
      }
      return refuse(Reason.BAD_REQUEST, HttpResponseStatus.BAD_REQUEST, "bad request");
    }
    if (!HttpVersion.HTTP_1_1.equals(request.protocolVersion())
        && !HttpVersion.HTTP_1_0.equals(request.protocolVersion())) {
      // Among others the HTTP/2 preface (PRI * HTTP/2.0): no other protocol is spoken here.
      return refuse(Reason.BAD_REQUEST, HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP/1.x only");
    }
    if (HttpMethod.CONNECT.equals(request.method())) {
      return refuse(Reason.BAD_REQUEST, HttpResponseStatus.METHOD_NOT_ALLOWED, "CONNECT is not served here");
    }
    HttpHostCheck.Target target = HttpHostCheck.target(request);
    if (target.error() != null) {
      return refuse(target.error(), HttpResponseStatus.BAD_REQUEST,
          Reason.NO_HOST.equals(target.error()) ? "missing Host" : "bad Host");
    }
    RouteDecision decision;
    try {
      decision = resolver.resolve(new RouteRequest(client, target.host(), List.of(), false));
    } catch (RuntimeException e) {
      decision = null;
    }
    if (decision instanceof RouteDecision.Refuse r) {
      String host = r.host() != null ? r.host() : target.host();
      return r.alert()
          ? new Refuse(r.why(), host, HttpResponseStatus.MISDIRECTED_REQUEST, "unknown host")
          : new Refuse(r.why(), host, HttpResponseStatus.SERVICE_UNAVAILABLE, "service unavailable");
    }
    if (!(decision instanceof RouteDecision.Forward forward)) {
      return new ResolverFailed();
    }
    String host = forward.host() != null ? forward.host() : target.host();
    if (mode == HttpFrontendSettings.Mode.REDIRECT && !HttpHostCheck.isAcmeChallenge(target.path())) {
      return new Redirect(host, target.path());
    }
    return new Forward(forward, host, target);
  }

  private static Refuse refuse(Reason reason, HttpResponseStatus status, String text) {
    return new Refuse(reason, null, status, text);
  }

  private HttpAdmission() {}
}
