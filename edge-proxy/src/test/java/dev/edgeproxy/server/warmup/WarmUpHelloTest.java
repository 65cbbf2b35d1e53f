package dev.edgeproxy.server.warmup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.sni.ClientHelloParser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

class WarmUpHelloTest {

  @Test
  void theCannedHelloIsWhatThePeekParsesForTheReservedName() {
    byte[] hello = WarmUpHello.clientHello(WarmUpRoutes.RESERVED_NAME);
    ByteBuf in = Unpooled.wrappedBuffer(hello);
    try {
      ClientHelloParser.Result result = new ClientHelloParser(16_384).parse(in);

      assertThat(result.status()).isEqualTo(ClientHelloParser.Status.COMPLETE);
      assertThat(result.hello().serverName()).isEqualTo(WarmUpRoutes.RESERVED_NAME);
      assertThat(result.hello().alpn()).containsExactly("h2", "http/1.1");
      assertThat(result.hello().encryptedClientHello()).isFalse();
      assertThat(result.hello().bytesConsumed()).isEqualTo(hello.length);
      assertThat(result.hello().records()).isEqualTo(1);
    } finally {
      in.release();
    }
  }

  @Test
  void theHelloFitsTheSmallestClientHelloCap() {
    assertThat(WarmUpHello.clientHello(WarmUpRoutes.RESERVED_NAME).length)
        .isLessThanOrEqualTo(dev.edgeproxy.config.TlsListenerConfig.MIN_MAX_CLIENT_HELLO_BYTES);
  }

  @Test
  void theExchangeStartsWithTheHelloAndGivesTheServerTheLastWord() {
    WarmUpHello.Exchange exchange = WarmUpHello.exchange(WarmUpRoutes.RESERVED_NAME);

    assertThat(exchange.clientSends().get(0)).isEqualTo(WarmUpHello.clientHello(WarmUpRoutes.RESERVED_NAME));
    assertThat(exchange.serverReplies()).hasSameSizeAs(exchange.clientSends());
    assertThat(exchange.serverReplies().get(0).length)
        .as("a server flight is larger than the hello").isGreaterThan(exchange.clientSends().get(0).length);
  }

  @Test
  void applicationDataIsOneRecordOfTheAskedLength() {
    byte[] record = WarmUpHello.applicationData(600);

    assertThat(record).hasSize(605);
    assertThat(record[0]).isEqualTo((byte) 23);
    assertThat(((record[3] & 0xff) << 8) | (record[4] & 0xff)).isEqualTo(600);
  }
}
