package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The memory budget sheds a relay on its own loop, a moment after choosing it: a relay whose peer
 * stopped taking bytes is closed ({@code memory_shed}); one whose peer took them again in between is
 * left alone, as {@link MemoryBudget.Sheddable#shed} promises.
 */
class RelayShedTest {
  final EmbeddedRelay pair = new EmbeddedRelay();
  final EmbeddedChannel client = pair.client;
  final EmbeddedChannel backend = pair.backend;
  /** Stands for a backend socket that takes nothing: flushes stop short of it. */
  final ChannelOutboundHandlerAdapter fullSocket =
      new ChannelOutboundHandlerAdapter() {
        @Override
        public void flush(ChannelHandlerContext ctx) {}
      };

  @BeforeEach
  void stallTheBackend() {
    backend.pipeline().addFirst(fullSocket);
    while (backend.isWritable()) {
      client.writeOneInbound(Unpooled.wrappedBuffer(new byte[RelayFlowTest.FULL_READ]));
    }
    assertThat(pair.relay.stalledSinceNanos()).as("stalled").isNotZero();
  }

  @AfterEach
  void release() {
    pair.close();
  }

  @Test
  void aRelayStillStalledIsClosed() {
    assertThat(pair.relay.shed()).as("closed").isTrue();

    assertThat(client.isOpen()).isFalse();
    assertThat(backend.isOpen()).isFalse();
    client.runPendingTasks();
    ConnectionRecord record = pair.events.closed.poll();
    assertThat(record).isNotNull();
    assertThat(record.reason()).isEqualTo(Reason.MEMORY_SHED);
    assertThat(pair.relay.heldBytes()).as("its queued bytes given back").isZero();
  }

  @Test
  void aRelayWhosePeerTookItsBytesAgainIsLeftAlone() {
    backend.pipeline().remove(fullSocket);
    backend.flush(); // the socket takes everything: writable again
    assertThat(pair.relay.stalledSinceNanos()).isZero();

    assertThat(pair.relay.shed()).as("closed").isFalse();

    assertThat(client.isOpen()).isTrue();
    assertThat(backend.isOpen()).isTrue();
  }
}
