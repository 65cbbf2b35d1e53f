package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay's idle timer: bytes moving on either socket, read or still being written out, keep a
 * connection; a half-closed one gets the shorter timeout. Both channels are embedded and the time
 * is the client channel's (the timer runs on its event loop).
 */
class RelayTimerTest {
  static final Duration IDLE = Duration.ofSeconds(4);
  /** Embedded channels are not duplex, so a FIN closes at once; the socket test covers half-closure. */
  static final Duration HALF_CLOSED = Duration.ofSeconds(1);

  EmbeddedRelay pair;
  RecordingEvents events;
  EmbeddedChannel client;
  EmbeddedChannel backend;

  @BeforeEach
  void relay() {
    pair = new EmbeddedRelay();
    events = pair.events;
    client = pair.client;
    backend = pair.backend;
    pair.relay.startTimers(IDLE, HALF_CLOSED);
  }

  @AfterEach
  void release() {
    pair.close();
  }

  void advance(Duration d) {
    client.advanceTimeBy(d.toMillis(), TimeUnit.MILLISECONDS);
    client.runScheduledPendingTasks();
  }

  ConnectionRecord closedRecord() {
    client.runPendingTasks();
    ConnectionRecord record = events.closed.poll();
    assertThat(record).isNotNull();
    return record;
  }

  @Test
  void nothingMovingClosesAfterTheIdleTimeout() {
    for (int second = 1; second < 4; second++) {
      advance(Duration.ofSeconds(1));
    }
    assertThat(client.isOpen()).isTrue();
    advance(Duration.ofSeconds(1));
    assertThat(client.isOpen()).isFalse();
    assertThat(backend.isOpen()).isFalse();
    assertThat(closedRecord().reason()).isEqualTo(Reason.IDLE_TIMEOUT);
  }

  @Test
  void aSilentClientIsKeptWhileTheBackendSends() {
    for (int i = 0; i < 6; i++) { // 6 s, longer than the idle timeout, with a read every second
      backend.writeInbound(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
      advance(Duration.ofSeconds(1));
    }
    assertThat(client.isOpen()).isTrue();
    assertThat(client.outboundMessages()).hasSize(6);
    client.outboundMessages().forEach(m -> ((io.netty.buffer.ByteBuf) m).release());
    client.outboundMessages().clear();
  }

  @Test
  void aWriteStillDrainingToTheBackendCountsAsMoving() {
    // The client sent once; the backend takes it slowly: its outbound queue moves, nothing is read.
    for (int second = 0; second < 9; second++) {
      if (second % 3 == 0) {
        backend.write(Unpooled.wrappedBuffer(new byte[1000])); // queued, then drained below
      } else if (second % 3 == 2) {
        backend.flush();
      }
      advance(Duration.ofSeconds(1));
    }
    assertThat(client.isOpen()).as("9 s with output moving").isTrue();
    for (int second = 0; second < 6; second++) {
      advance(Duration.ofSeconds(1));
    }
    assertThat(client.isOpen()).isFalse();
    assertThat(closedRecord().reason()).isEqualTo(Reason.IDLE_TIMEOUT);
    backend.outboundMessages().forEach(m -> ((io.netty.buffer.ByteBuf) m).release());
    backend.outboundMessages().clear();
  }
}
