package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The HTTP listener's pipelined requests are counted in the data path's budget and can be shed. */
class HttpMemoryTest {
  static final String REQUEST = "GET /p HTTP/1.1\r\nHost: a.example\r\n\r\n";

  final RecordingEvents events = new RecordingEvents();
  EmbeddedChannel client;

  @AfterEach
  void release() {
    if (client != null) {
      client.finishAndReleaseAll();
    }
  }

  /** A redirect-mode client that has stopped reading: everything it pipelines waits in the queue. */
  EmbeddedChannel stalledClient(MemoryBudget budget) {
    client = new EmbeddedChannel();
    client.attr(MemoryBudget.KEY).set(budget);
    HttpFrontendSettings settings = new HttpFrontendSettings(
        "http", HttpFrontendSettings.Mode.REDIRECT, 8192, Duration.ofSeconds(10), Duration.ofMinutes(15));
    RouteResolver allow = request -> new RouteDecision.Forward(
        "p", List.of(), Duration.ofSeconds(1), ProxyHeaderSpec.NONE, request.serverName(), null);
    HttpFrontend.init(client, settings, allow, ClientLimit.UNLIMITED, events, "id", (in, t, d, ok, failed) -> {
      throw new AssertionError("redirect mode dials nothing");
    });
    client.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
    client.runPendingTasks();
    client.writeInbound(Unpooled.copiedBuffer(REQUEST.repeat(1000), StandardCharsets.ISO_8859_1));
    return client;
  }

  static int answers(EmbeddedChannel ch) {
    ch.runPendingTasks();
    int count = 0;
    for (Object o; (o = ch.readOutbound()) != null; ) {
      ByteBuf b = (ByteBuf) o;
      count += b.toString(StandardCharsets.ISO_8859_1).split("HTTP/1.1 308 ", -1).length - 1;
      b.release();
    }
    return count;
  }

  @Test
  void pipelinedRequestsWaitingForAClientThatDoesNotReadAreCountedAndGivenBack() {
    MemoryBudget budget = new MemoryBudget(1 << 20);
    stalledClient(budget);
    // Sixteen queued heads of about the size they were read as.
    assertThat(budget.used())
        .isBetween(HttpRequestQueue.MAX_QUEUED_REQUESTS * (long) REQUEST.length() / 2,
            HttpRequestQueue.MAX_QUEUED_REQUESTS * (long) REQUEST.length() * 2);

    client.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
    assertThat(answers(client)).isEqualTo(HttpRequestQueue.MAX_QUEUED_REQUESTS);
    assertThat(budget.used()).isZero();
  }

  @Test
  void pastTheShedThresholdAStalledHttpConnectionIsClosed() {
    MemoryBudget budget = new MemoryBudget(100_000);
    stalledClient(budget);
    long held = budget.used();
    assertThat(held).isPositive();

    budget.reserve(80_000); // other connections' bytes: 80 % and more, over the shed threshold
    client.runPendingTasks();

    assertThat(client.isOpen()).isFalse();
    assertThat(budget.shedCount()).isEqualTo(1);
    assertThat(budget.used()).isEqualTo(80_000);
    client.runPendingTasks();
    ConnectionRecord record = events.closed.poll();
    assertThat(record).isNotNull();
    assertThat(record.decision()).isEqualTo(Decision.REFUSED);
    assertThat(record.reason()).isEqualTo(Reason.MEMORY_SHED);
  }
}
