package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The ClientHello parser against any bytes, split anywhere. Regression mode (every build) runs the
 * corpus in {@code ClientHelloParserFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes (see README).
 *
 * <p>Input layout: byte 0 picks the read size, byte 1 the size bound, the rest is the stream.
 */
class ClientHelloParserFuzzTest {

  @FuzzTest(maxDuration = "20s")
  void sameVerdictWhateverTheChunking(byte[] input) {
    if (input.length < 2) {
      return;
    }
    int max = FuzzInputs.helloBound(input[1]);
    byte[] stream = FuzzInputs.tail(input, 2);

    ClientHelloParser.Result whole = parseWhole(stream, max);
    ClientHelloParser.Result chunked = parseChunked(stream, max, input[0]);

    assertThat(chunked).as("read sizes from seed %d", input[0]).isEqualTo(whole);
    if (whole.status() == ClientHelloParser.Status.COMPLETE) {
      ClientHelloInfo hello = whole.hello();
      assertThat(hello.bytesConsumed()).isPositive().isLessThanOrEqualTo(Math.min(stream.length, max));
      assertThat(hello.records()).isPositive();
      // what the resolver sees is what the bytes say, nothing invented
      if (hello.serverName() != null) {
        assertThat(hello.serverName()).isNotEmpty();
      }
      // a complete hello is complete whatever follows it
      ClientHelloParser.Result prefixOnly =
          parseWhole(java.util.Arrays.copyOf(stream, hello.bytesConsumed()), max);
      assertThat(prefixOnly).isEqualTo(whole);
    }
  }

  private static ClientHelloParser.Result parseWhole(byte[] stream, int max) {
    ByteBuf buf = Unpooled.wrappedBuffer(stream);
    ClientHelloParser.Result result = new ClientHelloParser(max).parse(buf);
    assertThat(buf.readerIndex()).isZero();
    return result;
  }

  private static ClientHelloParser.Result parseChunked(byte[] stream, int max, byte chunkSeed) {
    ClientHelloParser parser = new ClientHelloParser(max);
    ByteBuf cumulation = Unpooled.buffer();
    ClientHelloParser.Result result = parser.parse(cumulation);
    int p = 0;
    for (int i = 0; p < stream.length && result.status() == ClientHelloParser.Status.NEED_MORE; i++) {
      int n = Math.min(FuzzInputs.chunk(chunkSeed, i), stream.length - p);
      cumulation.writeBytes(stream, p, n);
      p += n;
      result = parser.parse(cumulation);
    }
    // outcomes are sticky
    assertThat(parser.parse(cumulation)).isEqualTo(result);
    return result;
  }
}
