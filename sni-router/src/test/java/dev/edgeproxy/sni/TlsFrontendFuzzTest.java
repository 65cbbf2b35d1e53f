package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The TLS listener's pipeline as production builds it (optional inbound PROXY v1/v2 decoding, the
 * ClientHello peek, the decision) against any bytes in any chunking. Properties:
 *
 * <ul>
 *   <li>no exception escapes the pipeline and every buffer is released (paranoid leak check, and
 *       each input chunk's reference count);
 *   <li>only an allowed name is forwarded, and the bytes handed to the backend side are exactly the
 *       client's bytes after the PROXY header, whose hello parses to that same allowed name;
 *   <li>the resolver is asked at most once; a client is sent at most one alert record.
 * </ul>
 *
 * <p>Input layout: byte 0 picks the read sizes, byte 1 the hello bound, byte 2 (bit 0) whether the
 * listener accepts PROXY headers, the rest is what the client sends.
 */
class TlsFrontendFuzzTest {
  static final String ALLOWED = "allowed.example";

  @FuzzTest(maxDuration = "20s")
  void onlyTheAllowedNameIsForwardedByteForByte(byte[] input) {
    if (input.length < 3) {
      return;
    }
    boolean acceptProxy = (input[2] & 1) != 0;
    byte[] stream = FuzzInputs.tail(input, 3);
    List<RouteRequest> asked = new ArrayList<>();
    EmbeddedBackends backends = new EmbeddedBackends();
    List<ByteBuf> chunks = new ArrayList<>();
    EmbeddedChannel channel = new EmbeddedChannel();
    TlsFrontendSettings settings =
        new TlsFrontendSettings(
            "tls", acceptProxy, peer -> true, Duration.ofSeconds(5), FuzzInputs.helloBound(input[1]),
            Duration.ofSeconds(60));
    TlsFrontend.init(
        channel, settings, resolver(asked), ClientLimit.UNLIMITED, new RecordingEvents(), "0123456789abcdef",
        backends);
    try {
      int p = 0;
      for (int i = 0; p < stream.length && channel.isOpen(); i++) {
        int n = Math.min(FuzzInputs.chunk(input[0], i), stream.length - p);
        ByteBuf chunk = ByteBufAllocator.DEFAULT.buffer(n).writeBytes(stream, p, n);
        chunks.add(chunk);
        p += n;
        channel.writeInbound(chunk);
        channel.checkException();
      }
      channel.runPendingTasks();
      channel.checkException();

      assertThat(asked).hasSizeLessThanOrEqualTo(1);
      assertThat(backends.decisions).hasSizeLessThanOrEqualTo(1);
      if (!backends.decisions.isEmpty()) {
        assertThat(asked).singleElement().satisfies(r ->
            assertThat(r.serverName().toLowerCase(Locale.ROOT)).isEqualTo(ALLOWED));
        byte[] sent = backends.received(0);
        assertThat(sent.length).isPositive();
        int offset = indexOf(stream, sent);
        assertThat(offset).as("forwarded bytes are the client's, after any PROXY header").isGreaterThanOrEqualTo(0);
        if (!acceptProxy) {
          assertThat(offset).isZero();
        }
        ClientHelloParser.Result replay = new ClientHelloParser(65536).parse(Unpooled.wrappedBuffer(sent));
        assertThat(replay.status()).isEqualTo(ClientHelloParser.Status.COMPLETE);
        assertThat(replay.hello().serverName().toLowerCase(Locale.ROOT)).isEqualTo(ALLOWED);
      }
      assertAtMostOneAlert(channel);
    } finally {
      channel.finishAndReleaseAll();
      backends.releaseAll();
    }
    for (ByteBuf chunk : chunks) {
      assertThat(chunk.refCnt()).as("every read buffer released").isZero();
    }
  }

  /** Where {@code sent} starts in {@code stream}; -1 when it is not a slice of it. */
  private static int indexOf(byte[] stream, byte[] sent) {
    for (int start = 0; start + sent.length <= stream.length; start++) {
      if (Arrays.equals(stream, start, start + sent.length, sent, 0, sent.length)) {
        return start;
      }
    }
    return -1;
  }

  private static void assertAtMostOneAlert(EmbeddedChannel channel) {
    List<byte[]> written = new ArrayList<>();
    Object o;
    while ((o = channel.readOutbound()) != null) {
      ByteBuf b = (ByteBuf) o;
      written.add(ByteBufUtil.getBytes(b));
      b.release();
    }
    assertThat(written).hasSizeLessThanOrEqualTo(1);
    if (!written.isEmpty()) {
      byte[] alert = written.get(0);
      assertThat(alert).hasSize(7);
      assertThat(alert[0]).as("content type alert").isEqualTo((byte) 21);
      assertThat(alert[5]).as("level fatal").isEqualTo((byte) 2);
    }
  }

  private static RouteResolver resolver(List<RouteRequest> asked) {
    return request -> {
      asked.add(request);
      String name = request.serverName() == null ? null : request.serverName().toLowerCase(Locale.ROOT);
      if (ALLOWED.equals(name)) {
        return new RouteDecision.Forward(
            "pool", List.of(), Duration.ofSeconds(1), ProxyHeaderSpec.V2_WITH_TLVS, name, null);
      }
      return new RouteDecision.Refuse(Reason.NOT_ALLOWED, name, name != null);
    };
  }
}
