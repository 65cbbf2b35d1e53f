package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The caps of the admin and health listeners, connection by connection. */
class ListenerConnectionLimitTest {
  /** 64 in all, 16 from outside 10.0.0.0/8, so at most 4 from one outside client. */
  final ListenerConnectionLimit limit =
      new ListenerConnectionLimit(
          "admin", 64, 16, a -> a.getAddress()[0] == 10, "text/plain", "busy\n");
  final List<EmbeddedChannel> channels = new ArrayList<>();

  @AfterEach
  void closeAll() {
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
  }

  /** An accepted connection from {@code client}: true if it reached the handler after the limit. */
  boolean connect(String client) throws Exception {
    InetSocketAddress remote = new InetSocketAddress(InetAddress.getByName(client), 40000);
    boolean[] reached = {false};
    EmbeddedChannel ch =
        new EmbeddedChannel(false, false) {
          @Override
          protected SocketAddress remoteAddress0() {
            return remote;
          }
        };
    ch.pipeline().addLast(limit, new ChannelInboundHandlerAdapter() {
      @Override
      public void channelActive(ChannelHandlerContext ctx) {
        reached[0] = true;
      }
    });
    ch.register();
    channels.add(ch);
    if (!reached[0]) {
      ByteBuf answer = ch.readOutbound();
      assertThat(answer.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 503").endsWith("busy\n");
      ReferenceCountUtil.release(answer);
      assertThat(ch.isOpen()).as("closed after the 503").isFalse();
    }
    return reached[0];
  }

  @Test
  void oneOutsideClientHoldsAtMostAQuarterOfTheOutsideSlots() throws Exception {
    for (int i = 0; i < 4; i++) {
      assertThat(connect("203.0.113.7")).as("connection %d of the stranger", i + 1).isTrue();
    }
    assertThat(connect("203.0.113.7")).as("a fifth from the same stranger").isFalse();
    assertThat(connect("198.51.100.1")).as("a forge delivering a webhook").isTrue();
    assertThat(connect("10.1.2.3")).as("an operator inside allowFrom").isTrue();

    channels.get(0).close();
    assertThat(connect("203.0.113.7")).as("the stranger again, once one of its four closed").isTrue();
  }

  @Test
  void anIpv6ClientIsCountedPerSlash64() throws Exception {
    for (int i = 1; i <= 4; i++) {
      assertThat(connect("2001:db8:1:2::" + i)).isTrue();
    }
    assertThat(connect("2001:db8:1:2::99")).as("another address of the same /64").isFalse();
    assertThat(connect("2001:db8:1:3::1")).as("another /64").isTrue();
  }

  @Test
  void theOutsideCapStillHoldsAcrossManyClients() throws Exception {
    for (int i = 1; i <= 16; i++) {
      assertThat(connect("203.0.113." + i)).isTrue();
    }
    assertThat(connect("203.0.113.200")).as("the seventeenth outside connection").isFalse();
    assertThat(connect("10.0.0.1")).as("inside allowFrom").isTrue();
  }
}
