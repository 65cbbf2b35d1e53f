package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The admission verdict of one request head, without any channel. */
class HttpAdmissionTest {
  static final ConnectionInfo CLIENT =
      new ConnectionInfo("id", "http", new InetSocketAddress("192.0.2.1", 40000), new InetSocketAddress("192.0.2.2", 80));

  final List<String> asked = new ArrayList<>();

  RouteResolver resolver() {
    return request -> {
      asked.add(request.serverName());
      return switch (request.serverName()) {
        case "a.example" -> new RouteDecision.Forward(
            "p1", List.of(), Duration.ofSeconds(1), ProxyHeaderSpec.NONE, "a.example", null);
        case "down.example" -> new RouteDecision.Refuse(Reason.NO_BACKEND, "down.example", false);
        case "boom.example" -> throw new IllegalStateException("resolver bug");
        default -> new RouteDecision.Refuse(Reason.NOT_ALLOWED, request.serverName(), true);
      };
    };
  }

  static HttpRequest get(String uri, String host) {
    HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    if (host != null) {
      request.headers().set("Host", host);
    }
    return request;
  }

  HttpAdmission.Verdict decide(HttpRequest request, HttpFrontendSettings.Mode mode) {
    return HttpAdmission.decide(request, mode, resolver(), CLIENT);
  }

  @Test
  void anAllowedHostIsForwardedAndTheRequestRewrittenToWhatWasChecked() {
    HttpRequest request = get("http://a.example/x?y", "a.example");
    HttpAdmission.Verdict verdict = decide(request, HttpFrontendSettings.Mode.FORWARD);
    assertThat(verdict).isInstanceOf(HttpAdmission.Forward.class);
    HttpAdmission.Forward forward = (HttpAdmission.Forward) verdict;
    assertThat(forward.route().pool()).isEqualTo("p1");
    assertThat(forward.rewrite(request)).as("not a WebSocket handshake").isFalse();
    assertThat(request.uri()).isEqualTo("/x?y");
  }

  @Test
  void refusalsCarryTheirStatusAndReason() {
    assertThat(decide(get("/", "evil.example"), HttpFrontendSettings.Mode.FORWARD))
        .isEqualTo(new HttpAdmission.Refuse("not_allowed", "evil.example", HttpResponseStatus.MISDIRECTED_REQUEST, "unknown host"));
    assertThat(decide(get("/", "down.example"), HttpFrontendSettings.Mode.FORWARD))
        .isEqualTo(new HttpAdmission.Refuse("no_backend", "down.example", HttpResponseStatus.SERVICE_UNAVAILABLE, "service unavailable"));
    assertThat(decide(get("/", null), HttpFrontendSettings.Mode.FORWARD))
        .isEqualTo(new HttpAdmission.Refuse("no_host", null, HttpResponseStatus.BAD_REQUEST, "missing Host"));
    assertThat(decide(new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.CONNECT, "a.example:443"),
            HttpFrontendSettings.Mode.FORWARD))
        .extracting(v -> ((HttpAdmission.Refuse) v).status()).isEqualTo(HttpResponseStatus.METHOD_NOT_ALLOWED);
    HttpRequest tooLarge = get("/", "a.example");
    tooLarge.setDecoderResult(DecoderResult.failure(new TooLongHttpHeaderException("big")));
    assertThat(decide(tooLarge, HttpFrontendSettings.Mode.FORWARD))
        .isEqualTo(new HttpAdmission.Refuse("too_large", null, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request head too large"));
    assertThat(asked).as("only well-formed heads reach the resolver").containsExactly("evil.example", "down.example");
  }

  @Test
  void redirectModeRedirectsAllowedHostsButForwardsAcmeChallenges() {
    assertThat(decide(get("/p?q", "a.example"), HttpFrontendSettings.Mode.REDIRECT))
        .isEqualTo(new HttpAdmission.Redirect("a.example", "/p?q"));
    assertThat(decide(get("/.well-known/acme-challenge/tok", "a.example"), HttpFrontendSettings.Mode.REDIRECT))
        .isInstanceOf(HttpAdmission.Forward.class);
    assertThat(decide(get("/p", "evil.example"), HttpFrontendSettings.Mode.REDIRECT))
        .isInstanceOf(HttpAdmission.Refuse.class);
  }

  @Test
  void aFailingResolverIsAnError() {
    assertThat(decide(get("/", "boom.example"), HttpFrontendSettings.Mode.FORWARD))
        .isInstanceOf(HttpAdmission.ResolverFailed.class);
  }
}
