package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The port-80 path as production builds it (request decoder, Host check, pipelining, local replies,
 * backend exchange) against any bytes in any chunking, with one allowed and one denied host.
 * Properties: a refused host never reaches the dialer, and nothing that names another host reaches
 * a backend: every request head a backend receives parses, has exactly one Host (the allowed one),
 * an origin-form (or {@code *}) target or an absolute http(s) target at the allowed host, and no
 * protocol switch but WebSocket. No exception escapes; every buffer is released.
 *
 * <p>Input layout: byte 0 picks the read sizes, byte 1 (bit 0) redirect mode, the rest is what the
 * client sends. Backends answer every complete request {@code 200} with an empty body.
 */
class HttpFrontendFuzzTest {
  static final String ALLOWED = "allowed.example";
  static final String DENIED = "denied.example";
  private static final Pattern ABSOLUTE_AT_ALLOWED =
      Pattern.compile("(?i)https?://" + Pattern.quote(ALLOWED) + "(:[0-9]*)?([/?].*)?");
  private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

  @FuzzTest(maxDuration = "20s")
  void refusedHostsNeverReachTheDialerOrABackend(byte[] input) {
    if (input.length < 2) {
      return;
    }
    HttpFrontendSettings.Mode mode =
        (input[1] & 1) == 0 ? HttpFrontendSettings.Mode.FORWARD : HttpFrontendSettings.Mode.REDIRECT;
    byte[] stream = FuzzInputs.tail(input, 2);
    Exchange exchange = new Exchange(mode);
    try {
      int p = 0;
      for (int i = 0; p < stream.length && exchange.client.isOpen(); i++) {
        int n = Math.min(FuzzInputs.chunk(input[0], i), stream.length - p);
        exchange.send(stream, p, n);
        p += n;
      }
      exchange.client.runPendingTasks();
      exchange.pumpBackends();
      exchange.client.checkException();
      assertThat(exchange.dialed).allSatisfy(host -> assertThat(host).isEqualTo(ALLOWED));
    } finally {
      exchange.close();
    }
    exchange.assertReleased();
  }

  /** One client connection with its backends, each backend seen through a request decoder. */
  static final class Exchange {
    final EmbeddedChannel client = new EmbeddedChannel();
    final List<String> dialed = new ArrayList<>();
    final List<EmbeddedChannel> backends = new ArrayList<>();
    final List<EmbeddedChannel> backendViews = new ArrayList<>();
    final List<ByteBuf> chunks = new ArrayList<>();

    Exchange(HttpFrontendSettings.Mode mode) {
      HttpFrontendSettings settings =
          new HttpFrontendSettings("http", mode, 1024, Duration.ofSeconds(10), Duration.ofMinutes(1));
      HttpFrontend.init(
          client, settings, resolver(), ClientLimit.UNLIMITED, new RecordingEvents(), "0123456789abcdef",
          (inbound, tracker, decision, connected, failed) -> {
            dialed.add(decision.host());
            EmbeddedChannel backend = new EmbeddedChannel();
            backends.add(backend);
            backendViews.add(new EmbeddedChannel(new HttpRequestDecoder(
                new HttpDecoderConfig().setMaxInitialLineLength(65536).setMaxHeaderSize(65536))));
            tracker.connectedTo("backend-" + backends.size());
            connected.accept(backend);
            return () -> {};
          });
    }

    void send(byte[] stream, int offset, int length) {
      ByteBuf chunk = ByteBufAllocator.DEFAULT.buffer(length).writeBytes(stream, offset, length);
      chunks.add(chunk);
      client.writeInbound(chunk);
      client.checkException();
      pumpBackends();
      drainClient();
    }

    /** Moves what the proxy sent each backend into its view, checks it, answers complete requests. */
    void pumpBackends() {
      boolean progress = true;
      for (int round = 0; progress && round < 64; round++) {
        progress = false;
        for (int i = 0; i < backends.size(); i++) {
          EmbeddedChannel backend = backends.get(i);
          EmbeddedChannel view = backendViews.get(i);
          Object o;
          while ((o = backend.readOutbound()) != null) {
            view.writeInbound(o);
          }
          while ((o = view.readInbound()) != null) {
            progress = true;
            if (o instanceof HttpRequest request) {
              assertForwardable(request);
            }
            boolean last = o instanceof LastHttpContent;
            if (o instanceof HttpContent content) {
              content.release();
            }
            if (last && backend.isOpen()) {
              backend.writeInbound(Unpooled.copiedBuffer(OK, StandardCharsets.ISO_8859_1));
              client.runPendingTasks();
            }
          }
        }
      }
    }

    void drainClient() {
      Object o;
      while ((o = client.readOutbound()) != null) {
        ((ByteBuf) o).release();
      }
    }

    void close() {
      drainClient();
      client.finishAndReleaseAll();
      backends.forEach(EmbeddedChannel::finishAndReleaseAll);
      backendViews.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    void assertReleased() {
      for (ByteBuf chunk : chunks) {
        assertThat(chunk.refCnt()).as("every read buffer released").isZero();
      }
    }
  }

  static void assertForwardable(HttpRequest request) {
    assertThat(request.decoderResult().isSuccess())
        .as("a backend receives a well-formed head: %s", request.decoderResult())
        .isTrue();
    List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
    assertThat(hosts).as("Host headers at the backend").hasSize(1);
    assertThat(HttpHostCheck.authority(hosts.get(0)).host().toLowerCase(Locale.ROOT)).isEqualTo(ALLOWED);
    String uri = request.uri();
    assertThat(uri.startsWith("/") || uri.equals("*") || ABSOLUTE_AT_ALLOWED.matcher(uri).matches())
        .as("request target %s names only the allowed host", uri)
        .isTrue();
    String upgrade = request.headers().get(HttpHeaderNames.UPGRADE);
    assertThat(upgrade == null || upgrade.strip().equalsIgnoreCase("websocket"))
        .as("Upgrade '%s' reaching a backend", upgrade)
        .isTrue();
    assertThat(request.headers().contains("HTTP2-Settings")).isFalse();
  }

  private static RouteResolver resolver() {
    return request -> {
      String host = request.serverName() == null ? null : request.serverName().toLowerCase(Locale.ROOT);
      if (ALLOWED.equals(host)) {
        return new RouteDecision.Forward(
            "pool", List.of(), Duration.ofSeconds(1), ProxyHeaderSpec.V2_WITH_TLVS, host, null);
      }
      return new RouteDecision.Refuse(DENIED.equals(host) ? Reason.DENIED : Reason.NOT_ALLOWED, host, true);
    };
  }
}
