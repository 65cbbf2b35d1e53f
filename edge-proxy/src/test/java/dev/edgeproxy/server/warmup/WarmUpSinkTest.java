package dev.edgeproxy.server.warmup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.server.transport.Transport;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WarmUpSinkTest {
  private static EventLoopGroup acceptors;
  private static EventLoopGroup workers;

  @BeforeAll
  static void loops() {
    acceptors = Transport.detect().newGroup(1, "sink-test-accept");
    workers = Transport.detect().newGroup(1, "sink-test-io");
  }

  @AfterAll
  static void stopLoops() {
    acceptors.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    workers.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static final WarmUpHello.Exchange EXCHANGE = WarmUpHello.exchange(WarmUpRoutes.RESERVED_NAME);

  @Test
  void afterAProxyHeaderRepliesInTurnThenClosesLikeAServerAfterItsResponse() throws Exception {
    try (WarmUpSink sink = WarmUpSink.start(Transport.detect(), acceptors, workers, EXCHANGE);
        Socket client = new Socket(sink.address().getAddress(), sink.address().getPort())) {
      client.setSoTimeout(5_000);
      assertThat(sink.address().getAddress().isLoopbackAddress()).isTrue();
      OutputStream out = client.getOutputStream();
      InputStream in = client.getInputStream();
      out.write(proxyV2Header());
      byte[] hello = EXCHANGE.clientSends().get(0);
      out.write(hello, 0, 10);
      out.flush();
      out.write(hello, 10, hello.length - 10);
      out.flush();

      assertThat(in.readNBytes(EXCHANGE.serverReplies().get(0).length)).isEqualTo(EXCHANGE.serverReplies().get(0));
      out.write(EXCHANGE.clientSends().get(1));
      out.flush();
      assertThat(in.readNBytes(EXCHANGE.serverReplies().get(1).length)).isEqualTo(EXCHANGE.serverReplies().get(1));
      assertThat(in.read()).as("closed after the last reply").isEqualTo(-1);
      assertThat(sink.headersRead()).isEqualTo(1);
    }
  }

  @Test
  void aClientThatStopsEarlyIsClosedWithoutTheRestOfTheReplies() throws Exception {
    try (WarmUpSink sink = WarmUpSink.start(Transport.detect(), acceptors, workers, EXCHANGE);
        Socket client = new Socket(sink.address().getAddress(), sink.address().getPort())) {
      client.setSoTimeout(5_000);
      client.getOutputStream().write(proxyV2Header());
      client.getOutputStream().write(new byte[] {22, 3, 1});
      client.shutdownOutput();

      assertThat(client.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void withoutAProxyHeaderNothingIsEchoedAndTheConnectionIsClosed() throws Exception {
    try (WarmUpSink sink = WarmUpSink.start(Transport.detect(), acceptors, workers, EXCHANGE);
        Socket client = new Socket(sink.address().getAddress(), sink.address().getPort())) {
      client.setSoTimeout(5_000);
      client.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      client.getOutputStream().flush();

      assertThat(client.getInputStream().read()).isEqualTo(-1);
      assertThat(sink.headersRead()).isZero();
    }
  }

  @Test
  void closingTheSinkStopsItListening() throws Exception {
    WarmUpSink sink = WarmUpSink.start(Transport.detect(), acceptors, workers, EXCHANGE);
    var address = sink.address();
    sink.close();

    assertThat(canConnect(address)).isFalse();
  }

  private static boolean canConnect(java.net.InetSocketAddress address) {
    try (Socket s = new Socket(address.getAddress(), address.getPort())) {
      return true;
    } catch (java.io.IOException refused) {
      return false;
    }
  }

  static byte[] proxyV2Header() {
    EmbeddedChannel encoder = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
    encoder.writeOutbound(
        new HAProxyMessage(
            HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4,
            "192.0.2.1", "127.0.0.1", 40_000, 443));
    ByteBuf encoded = encoder.readOutbound();
    byte[] bytes = new byte[encoded.readableBytes()];
    encoded.readBytes(bytes);
    encoded.release();
    encoder.finishAndReleaseAll();
    return bytes;
  }
}
