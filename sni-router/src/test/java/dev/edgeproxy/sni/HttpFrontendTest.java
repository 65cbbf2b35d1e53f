package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpFrontendTest {
  static final Duration HEADER_TIMEOUT = Duration.ofSeconds(10);
  static final Map<String, String> POOLS = Map.of("a.example", "p1", "c.example", "p1", "b.example", "p2");

  final RecordingEvents events = new RecordingEvents();
  final List<RouteRequest> requests = new ArrayList<>();
  final List<RouteDecision.Forward> dialed = new ArrayList<>();
  final List<EmbeddedChannel> backends = new ArrayList<>();
  boolean backendFails;
  EmbeddedChannel client;

  @AfterEach
  void release() {
    if (client != null) {
      client.finishAndReleaseAll();
    }
    backends.forEach(EmbeddedChannel::finishAndReleaseAll);
  }

  RouteResolver resolver() {
    return request -> {
      requests.add(request);
      String host = request.serverName().toLowerCase(Locale.ROOT);
      String pool = POOLS.get(host);
      if (pool == null) {
        return new RouteDecision.Refuse(Reason.NOT_ALLOWED, host, true);
      }
      return new RouteDecision.Forward(
          pool, List.of(), Duration.ofSeconds(1), ProxyHeaderSpec.V2_WITH_TLVS, host, null);
    };
  }

  EmbeddedChannel client(HttpFrontendSettings.Mode mode, int maxHeaderBytes) {
    client = new EmbeddedChannel();
    HttpFrontendSettings settings =
        new HttpFrontendSettings("http", mode, maxHeaderBytes, HEADER_TIMEOUT, Duration.ofMinutes(15));
    HttpFrontend.init(
        client, settings, resolver(), ClientLimit.UNLIMITED, events, "0123456789abcdef",
        (inbound, tracker, decision, connected, failed) -> {
          dialed.add(decision);
          if (backendFails) {
            failed.run();
          } else {
            EmbeddedChannel backend = new EmbeddedChannel();
            backends.add(backend);
            tracker.connectedTo("backend-" + backends.size());
            connected.accept(backend);
          }
          return () -> {};
        });
    return client;
  }

  EmbeddedChannel client() {
    return client(HttpFrontendSettings.Mode.FORWARD, 8192);
  }

  static void send(EmbeddedChannel ch, String text) {
    ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
  }

  static String drain(EmbeddedChannel ch) {
    ch.runPendingTasks();
    StringBuilder sb = new StringBuilder();
    Object o;
    while ((o = ch.readOutbound()) != null) {
      ByteBuf b = (ByteBuf) o;
      sb.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return sb.toString();
  }

  EmbeddedChannel backend() {
    assertThat(backends).hasSize(1);
    return backends.get(0);
  }

  ConnectionRecord record() {
    client.runPendingTasks();
    ConnectionRecord r = events.closed.poll();
    assertThat(r).as("connection record").isNotNull();
    return r;
  }

  static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

  @Test
  void forwardsAllowedRequestAndRelaysTheResponse() {
    client();
    send(client, "GET /x?y=1 HTTP/1.1\r\nHost: A.Example:80\r\nUser-Agent: t\r\n\r\n");
    assertThat(requests).singleElement().extracting(RouteRequest::serverName).isEqualTo("A.Example");
    assertThat(dialed).singleElement().extracting(RouteDecision.Forward::host).isEqualTo("a.example");
    assertThat(drain(backend()))
        .isEqualTo("GET /x?y=1 HTTP/1.1\r\nHost: A.Example:80\r\nUser-Agent: t\r\n\r\n");
    send(backend(), OK);
    assertThat(drain(client)).isEqualTo(OK);
    assertThat(client.isOpen()).isTrue();
    assertThat(events.forwarded).hasSize(1);
    client.close();
    ConnectionRecord r = record();
    assertThat(r.decision()).isEqualTo(Decision.FORWARDED);
    assertThat(r.reason()).isNull();
    assertThat(r.host()).isEqualTo("a.example");
    assertThat(r.pool()).isEqualTo("p1");
    assertThat(r.bytesOut()).isEqualTo(OK.length());
    assertThat(backend().isOpen()).isFalse();
  }

  @Test
  void forwardsRequestBodies() {
    client();
    send(client, "POST /u HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\n\r\nhel");
    send(client, "lo");
    assertThat(drain(backend())).endsWith("\r\n\r\nhello");
    send(client, "POST /u HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    // Not forwarded before the first response ends.
    assertThat(drain(backend())).isEmpty();
    send(backend(), OK);
    assertThat(drain(client)).isEqualTo(OK);
    assertThat(drain(backend())).contains("Transfer-Encoding: chunked").endsWith("3\r\nabc\r\n0\r\n\r\n");
  }

  @Test
  void everyKeepAliveRequestIsCheckedAndARefusedHostGets421AndClose() {
    client();
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
    drain(backend());
    send(backend(), OK);
    assertThat(drain(client)).isEqualTo(OK);

    send(client, "GET /secret HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    String answer = drain(client);
    assertThat(answer).startsWith("HTTP/1.1 421 Misdirected Request\r\n").contains("unknown host");
    assertThat(answer).containsIgnoringCase("connection: close");
    assertThat(drain(backend())).isEmpty(); // nothing of the refused request reached the backend
    assertThat(client.isOpen()).isFalse();
    assertThat(backend().isOpen()).isFalse();
    assertThat(requests).extracting(RouteRequest::serverName).containsExactly("a.example", "evil.example");
    ConnectionRecord r = record();
    assertThat(r.decision()).isEqualTo(Decision.FORWARDED);
    assertThat(r.reason()).isEqualTo(Reason.NOT_ALLOWED);
    assertThat(r.host()).isEqualTo("evil.example");
  }

  @Test
  void aPipelinedRefusedRequestIsAnsweredOnlyAfterTheForwardedOne() {
    client();
    send(client, "GET /1 HTTP/1.1\r\nHost: a.example\r\n\r\nGET /2 HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    assertThat(drain(backend())).startsWith("GET /1 ").doesNotContain("/2");
    assertThat(drain(client)).isEmpty();
    send(backend(), OK);
    String answer = drain(client);
    assertThat(answer).startsWith(OK + "HTTP/1.1 421 ");
    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void sameConnectionSamePoolReusesTheBackendOtherPoolIsMisdirected() {
    client();
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
    drain(backend());
    send(backend(), OK);
    drain(client);
    send(client, "GET /c HTTP/1.1\r\nHost: c.example\r\n\r\n");
    assertThat(drain(backend())).startsWith("GET /c HTTP/1.1\r\nHost: c.example");
    send(backend(), OK);
    assertThat(drain(client)).isEqualTo(OK);
    assertThat(dialed).hasSize(1);

    send(client, "GET /b HTTP/1.1\r\nHost: b.example\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 421 ").contains("misdirected");
    assertThat(drain(backend())).isEmpty();
    assertThat(client.isOpen()).isFalse();
    ConnectionRecord r = record();
    assertThat(r.reason()).isEqualTo(Reason.MISDIRECTED);
    assertThat(r.host()).isEqualTo("b.example");
  }

  @Test
  void aRefusedFirstRequestForwardsNothing() {
    client();
    send(client, "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 421 Misdirected Request");
    assertThat(dialed).isEmpty();
    assertThat(client.isOpen()).isFalse();
    ConnectionRecord r = record();
    assertThat(r.decision()).isEqualTo(Decision.REFUSED);
    assertThat(r.reason()).isEqualTo(Reason.NOT_ALLOWED);
    assertThat(r.host()).isEqualTo("evil.example");
  }

  @Test
  void missingHostOnHttp11Is400() {
    client();
    send(client, "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 400 Bad Request");
    assertThat(client.isOpen()).isFalse();
    assertThat(requests).isEmpty();
    assertThat(record().reason()).isEqualTo(Reason.NO_HOST);
  }

  @Test
  void malformedRequestIs400() {
    client();
    send(client, "GET / HTTP/1.1\r\nHost a.example\r\nBroken\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 400 Bad Request");
    assertThat(client.isOpen()).isFalse();
    assertThat(dialed).isEmpty();
    ConnectionRecord r = record();
    assertThat(r.decision()).isEqualTo(Decision.REFUSED);
    assertThat(r.reason()).isEqualTo(Reason.BAD_REQUEST);
  }

  @Test
  void conflictingHostsAre400() {
    client();
    send(client, "GET http://evil.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 400 ");
    assertThat(dialed).isEmpty();
    assertThat(requests).isEmpty();
  }

  @Test
  void tooLargeHeadersAre431AndTooLongLinesAre414() {
    client(HttpFrontendSettings.Mode.FORWARD, 1024);
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\nX-Big: " + "x".repeat(2000) + "\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 431 ");
    assertThat(client.isOpen()).isFalse();
    assertThat(record().reason()).isEqualTo(Reason.TOO_LARGE);
    client.finishAndReleaseAll();

    client(HttpFrontendSettings.Mode.FORWARD, 1024);
    send(client, "GET /" + "x".repeat(2000) + " HTTP/1.1\r\nHost: a.example\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 414 ");
    assertThat(record().reason()).isEqualTo(Reason.TOO_LARGE);
    assertThat(dialed).isEmpty();
  }

  @Test
  void redirectModeAnswers308WithHttpsLocationAndKeepsTheConnection() {
    client(HttpFrontendSettings.Mode.REDIRECT, 8192);
    send(client, "POST /p/q?x=1&y=2 HTTP/1.1\r\nHost: A.example:8080\r\nContent-Length: 3\r\n\r\nabc");
    String answer = drain(client);
    assertThat(answer).startsWith("HTTP/1.1 308 Permanent Redirect\r\n");
    assertThat(answer).contains("location: https://a.example/p/q?x=1&y=2\r\n").contains("content-length: 0\r\n");
    assertThat(answer).doesNotContainIgnoringCase("connection: close");
    assertThat(client.isOpen()).isTrue();
    send(client, "GET / HTTP/1.1\r\nHost: c.example\r\nConnection: close\r\n\r\n");
    answer = drain(client);
    assertThat(answer).startsWith("HTTP/1.1 308 ").contains("location: https://c.example/\r\n");
    assertThat(client.isOpen()).isFalse();
    assertThat(dialed).isEmpty();
    ConnectionRecord r = record();
    assertThat(r.decision()).isEqualTo(Decision.REDIRECTED);
    assertThat(r.host()).isEqualTo("c.example");
  }

  @Test
  void redirectModeForwardsAcmeChallengesOfAllowedHostsOnly() {
    client(HttpFrontendSettings.Mode.REDIRECT, 8192);
    send(client, "GET /.well-known/acme-challenge/tok_en-1 HTTP/1.1\r\nHost: a.example\r\n\r\n");
    assertThat(drain(backend())).startsWith("GET /.well-known/acme-challenge/tok_en-1 HTTP/1.1\r\n");
    send(backend(), OK);
    assertThat(drain(client)).isEqualTo(OK);
    send(client, "GET /.well-known/acme-challenge/tok HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 421 ");
    assertThat(drain(backend())).isEmpty();
    assertThat(client.isOpen()).isFalse();
  }

  /**
   * Redirect mode lets only the challenge directory through over plain HTTP, but a path that a
   * Servlet container (Tomcat, behind the ingress) resolves out of it was forwarded: {@code ..;}
   * is a dot segment with a path parameter there, and a double-encoded dot is one to a backend that
   * decodes twice. Only an RFC 8555 token (base64url) after the prefix is a challenge.
   */
  @Test
  void redirectModeForwardsOnlyChallengeTokensNotPathsOutOfTheDirectory() {
    String[] paths = {
      "/.well-known/acme-challenge/..;/..;/admin",
      "/.well-known/acme-challenge/tok/..;/..;/..;/admin",
      "/.well-known/acme-challenge/%252e%252e/%252e%252e/admin",
      "/.well-known/acme-challenge/tok/more",
      "/.well-known/acme-challenge/tok;jsessionid=1",
    };
    for (String path : paths) {
      client(HttpFrontendSettings.Mode.REDIRECT, 8192);
      send(client, "GET " + path + " HTTP/1.1\r\nHost: a.example\r\n\r\n");
      assertThat(drain(client)).as(path).startsWith("HTTP/1.1 308 ");
      assertThat(dialed).as(path).isEmpty();
      client.finishAndReleaseAll();
    }
  }

  /**
   * The port-80 listener is the first hop: a forwarding header on a request was written by the
   * client. It reached the backend, which, trusting the node (a pool without PROXY header), would
   * take it as the client's address, scheme or host.
   */
  @Test
  void clientWrittenForwardingHeadersDoNotReachTheBackend() {
    client();
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\nX-Forwarded-For: 10.0.0.1\r\n"
        + "x-forwarded-proto: https\r\nX-Forwarded-Host: evil.example\r\nForwarded: for=10.0.0.1;proto=https\r\n"
        + "X-Real-IP: 10.0.0.1\r\nX-Forwarded-Port: 443\r\nX-Keep: 1\r\n\r\n");
    assertThat(drain(backend())).isEqualTo("GET / HTTP/1.1\r\nHost: a.example\r\nX-Keep: 1\r\n\r\n");
    send(backend(), OK);
    assertThat(drain(client)).isEqualTo(OK);
  }

  @Test
  void redirectModeRefusesUnknownHosts() {
    client(HttpFrontendSettings.Mode.REDIRECT, 8192);
    send(client, "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 421 ").doesNotContain("location");
    ConnectionRecord r = record();
    assertThat(r.decision()).isEqualTo(Decision.REFUSED);
  }

  @Test
  void noCompleteHeadInTimeClosesWithTimeout() {
    client();
    send(client, "GET / HTTP/1.1\r\nHost: a.exa");
    client.advanceTimeBy(HEADER_TIMEOUT.toMillis() + 1000, TimeUnit.MILLISECONDS);
    client.runPendingTasks();
    assertThat(client.isOpen()).isFalse();
    assertThat(dialed).isEmpty();
    ConnectionRecord r = record();
    assertThat(r.decision()).isEqualTo(Decision.REFUSED);
    assertThat(r.reason()).isEqualTo(Reason.TIMEOUT);
  }

  @Test
  void theHeadTimeoutRestartsAfterEachExchange() {
    client();
    client.advanceTimeBy(HEADER_TIMEOUT.toMillis() / 2, TimeUnit.MILLISECONDS);
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
    client.advanceTimeBy(HEADER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS); // waiting for the backend
    client.runPendingTasks();
    assertThat(client.isOpen()).isTrue();
    drain(backend());
    send(backend(), OK);
    drain(client);
    client.advanceTimeBy(HEADER_TIMEOUT.toMillis() - 1000, TimeUnit.MILLISECONDS);
    client.runPendingTasks();
    assertThat(client.isOpen()).isTrue();
    send(client, "GET / HTTP/1.1\r\nHo"); // slowloris on the second request
    client.advanceTimeBy(2000, TimeUnit.MILLISECONDS);
    client.runPendingTasks();
    assertThat(client.isOpen()).isFalse();
    ConnectionRecord r = record();
    assertThat(r.decision()).isEqualTo(Decision.FORWARDED);
    assertThat(r.reason()).isEqualTo(Reason.TIMEOUT);
  }

  @Test
  void backendConnectionClosedAfterAResponseIsReopenedForTheNextRequest() {
    client();
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
    drain(backends.get(0));
    send(backends.get(0), OK);
    drain(client);
    backends.get(0).close();
    send(client, "GET /again HTTP/1.1\r\nHost: b.example\r\n\r\n");
    assertThat(backends).hasSize(2);
    assertThat(drain(backends.get(1))).startsWith("GET /again ");
  }

  @Test
  void responseWithConnectionCloseClosesTheClient() {
    client();
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
    drain(backend());
    send(backend(), "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
    assertThat(drain(client)).endsWith("ok");
    assertThat(client.isOpen()).isFalse();
  }

  @Test
  void headResponsesKeepTheirFraming() {
    client();
    send(client, "HEAD / HTTP/1.1\r\nHost: a.example\r\n\r\n");
    drain(backend());
    send(backend(), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    // No body and no chunk terminator after the head of a HEAD response.
    assertThat(drain(client)).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n").doesNotContain("0\r\n");
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
    assertThat(drain(backend())).startsWith("GET / ");
  }

  @Test
  void noBackendIs502() {
    backendFails = true;
    client();
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 502 ");
    assertThat(client.isOpen()).isFalse();
    ConnectionRecord r = record();
    assertThat(r.decision()).isEqualTo(Decision.ERROR);
    assertThat(r.reason()).isEqualTo(Reason.NO_BACKEND);
  }

  @Test
  void switchingProtocolsBecomesARawRelay() {
    client();
    send(client, "GET /ws HTTP/1.1\r\nHost: a.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    drain(backend());
    String switching =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: abc\r\n\r\n";
    send(backend(), switching + "\u0081\u0002hi");
    assertThat(drain(client)).isEqualTo(switching + "\u0081\u0002hi");
    send(client, "\u0082\u0001x GET / HTTP/1.1\r\n");
    assertThat(drain(backend())).isEqualTo("\u0082\u0001x GET / HTTP/1.1\r\n");
    assertThat(client.pipeline().names()).contains(PipelineNames.RELAY).doesNotContain(HttpFrontend.DECODER);
  }

  // ---- issue 8: no spelling of a request reaches a host that was not checked ----------------

  @Test
  void nonHttpSchemesAndOtherTargetFormsAre400AndNothingIsForwarded() {
    String[] heads = {
      "GET foo://evil.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n",
      "GET ws://evil.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n",
      "GET wss://evil.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n",
      "GET http://a.example@evil.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n",
      "GET HTTP://EVIL.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n",
      "GET evil.example:80 HTTP/1.1\r\nHost: a.example\r\n\r\n",
      "GET * HTTP/1.1\r\nHost: a.example\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a.example\r\nHost: evil.example\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a.example evil.example\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a.example\r\n evil.example\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: evil%2eexample\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: \u00aa.example\r\n\r\n",
    };
    for (String head : heads) {
      client();
      send(client, head);
      assertThat(drain(client)).as(head).startsWith("HTTP/1.1 400 ");
      assertThat(client.isOpen()).as(head).isFalse();
      assertThat(dialed).as(head).isEmpty();
      assertThat(requests).as(head).isEmpty();
      client.finishAndReleaseAll();
    }
  }

  @Test
  void connectAndTheHttp2PrefaceAreRefused() {
    client();
    send(client, "CONNECT evil.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 405 ");
    assertThat(dialed).isEmpty();
    client.finishAndReleaseAll();

    client();
    send(client, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\u0000\u0000\u0000\u0004\u0000\u0000\u0000\u0000\u0000");
    assertThat(drain(client)).startsWith("HTTP/1.1 505 ");
    assertThat(client.isOpen()).isFalse();
    assertThat(dialed).isEmpty();
  }

  @Test
  void anAbsoluteFormTargetIsCheckedAndForwardedInOriginFormWithTheCheckedHost() {
    client();
    send(client, "GET hTTp://A.example.:8080/x?y=1 HTTP/1.1\r\nHost: a.example\r\n\r\n");
    assertThat(requests).singleElement().extracting(RouteRequest::serverName).isEqualTo("A.example");
    assertThat(drain(backend())).isEqualTo("GET /x?y=1 HTTP/1.1\r\nhost: A.example:8080\r\n\r\n");
  }

  @Test
  void aTrailingDotIsCheckedAndForwardedAsTheSameName() {
    client();
    send(client, "GET / HTTP/1.1\r\nHost: a.example.\r\n\r\n");
    assertThat(requests).singleElement().extracting(RouteRequest::serverName).isEqualTo("a.example");
    assertThat(drain(backend())).isEqualTo("GET / HTTP/1.1\r\nhost: a.example\r\n\r\n");
  }

  @Test
  void h2cUpgradeIsStrippedAndA101ToItDoesNotOpenATunnel() {
    client();
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: Upgrade, HTTP2-Settings\r\n"
        + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
    String forwarded = drain(backend());
    assertThat(forwarded).startsWith("GET / HTTP/1.1\r\n")
        .doesNotContainIgnoringCase("upgrade").doesNotContainIgnoringCase("http2-settings");
    send(backend(), "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
        + "\u0000\u0000\u0000\u0004\u0000\u0000\u0000\u0000\u0000");
    assertThat(drain(client)).startsWith("HTTP/1.1 502 ");
    assertThat(client.isOpen()).isFalse();
    assertThat(client.pipeline().names()).doesNotContain(PipelineNames.RELAY);
  }

  @Test
  void onlyAPureWebSocketOfferIsPassedOnAndOnlyAWebSocket101OpensTheTunnel() {
    client();
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: keep-alive, Upgrade, X-Hop\r\n"
        + "Upgrade: h2c, websocket\r\n\r\n");
    String forwarded = drain(backend());
    assertThat(forwarded).doesNotContainIgnoringCase("upgrade").doesNotContainIgnoringCase("x-hop")
        .containsIgnoringCase("connection: keep-alive\r\n");
    send(backend(), "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 502 ");
    assertThat(client.pipeline().names()).doesNotContain(PipelineNames.RELAY);
    client.finishAndReleaseAll();
    backends.forEach(EmbeddedChannel::finishAndReleaseAll);
    backends.clear();

    client();
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\nConnection: keep-alive, Upgrade\r\n"
        + "Upgrade: WebSocket\r\nSec-WebSocket-Version: 13\r\n\r\n");
    assertThat(drain(backend())).containsIgnoringCase("upgrade: websocket")
        .containsIgnoringCase("connection: keep-alive, upgrade");
    send(backend(), "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 502 "); // the backend switched to something else
    assertThat(client.pipeline().names()).doesNotContain(PipelineNames.RELAY);
  }

  @Test
  void a101WithoutAnUpgradeRequestIsABrokenBackend() {
    client();
    send(client, "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
    drain(backend());
    send(backend(), "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    assertThat(drain(client)).startsWith("HTTP/1.1 502 ");
    assertThat(client.pipeline().names()).doesNotContain(PipelineNames.RELAY);
  }

  // ---- issue 8: a client that does not read its answers gets no more of them ---------------

  @Test
  void redirectModeStopsReadingWhileTheClientDoesNotReadAndCapsPipelinedRequests() {
    client(HttpFrontendSettings.Mode.REDIRECT, 8192);
    String request = "GET /p HTTP/1.1\r\nHost: a.example\r\n\r\n";
    // The client stops reading: its socket buffer and then our outbound buffer fill up.
    client.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    client.runPendingTasks();
    send(client, request.repeat(1000));
    assertThat(drain(client)).as("no answer is produced for a client that does not read").isEmpty();
    assertThat(client.config().isAutoRead()).isFalse();

    client.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
    String answers = drain(client);
    int count = answers.split("HTTP/1.1 308 ", -1).length - 1;
    assertThat(count).isEqualTo(HttpRequestQueue.MAX_QUEUED_REQUESTS);
    assertThat(client.isOpen()).isFalse();
    assertThat(record().reason()).isEqualTo(Reason.PIPELINE_LIMIT);
  }

  @Test
  void redirectModeAnswersAsFastAsTheClientReads() {
    client(HttpFrontendSettings.Mode.REDIRECT, 8192);
    String request = "GET /p HTTP/1.1\r\nHost: a.example\r\n\r\n";
    send(client, request.repeat(3));
    assertThat(drain(client).split("HTTP/1.1 308 ", -1)).hasSize(4);
    client.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    send(client, request.repeat(3));
    assertThat(drain(client)).isEmpty();
    client.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
    assertThat(drain(client).split("HTTP/1.1 308 ", -1)).hasSize(4);
    assertThat(client.isOpen()).isTrue();
    assertThat(client.config().isAutoRead()).isTrue();
  }
}
