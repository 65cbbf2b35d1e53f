package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the {@link UpstreamConnector} holds while the backend connects (the hello and a late read)
 * counts in the memory budget, from the peek's hand-over to the relay's, and is given back exactly
 * once however the connect ends.
 */
class UpstreamConnectorBudgetTest {
  final RecordingEvents events = new RecordingEvents();
  final byte[] hello = Hellos.jdk("TLSv1.3", "connecting.example.com");
  final List<Consumer<Channel>> connects = new ArrayList<>();
  final List<Runnable> failures = new ArrayList<>();
  int cancelled;
  EmbeddedChannel client;
  EmbeddedChannel backend;

  @AfterEach
  void release() {
    if (backend != null) {
      backend.finishAndReleaseAll();
    }
    if (client != null) {
      client.finishAndReleaseAll();
    }
  }

  /** A client channel whose dial waits for the test to connect or fail it. */
  EmbeddedChannel connecting(MemoryBudget budget) {
    Dialer held =
        (inbound, tracker, decision, connected, failed) -> {
          connects.add(connected);
          failures.add(failed);
          return () -> cancelled++;
        };
    client = new EmbeddedChannel();
    client.attr(MemoryBudget.KEY).set(budget);
    RouteResolver allow =
        request -> new RouteDecision.Forward(
            "pool", List.of(), Duration.ofSeconds(1), ProxyHeaderSpec.NONE, request.serverName(), null);
    TlsFrontend.init(
        client,
        new TlsFrontendSettings("tls", false, peer -> false, Duration.ofSeconds(5), 16384, Duration.ofSeconds(60)),
        allow, ClientLimit.UNLIMITED, events, "connecting", held);
    client.writeInbound(Unpooled.wrappedBuffer(hello));
    assertThat(connects).as("dialing").hasSize(1);
    return client;
  }

  @Test
  void theHelloAndALateReadCountWhileConnectingAndTheRelayTakesThemOverWithoutAGap() {
    MemoryBudget budget = new MemoryBudget(1 << 20);
    connecting(budget);
    assertThat(budget.used()).as("the forwarded hello").isEqualTo(hello.length);

    client.writeInbound(Unpooled.wrappedBuffer(new byte[1000]));
    assertThat(budget.used()).as("hello and late read").isEqualTo(hello.length + 1000);

    // A backend whose socket has not taken the first bytes yet: the relay counts them until then.
    List<ChannelPromise> writes = new ArrayList<>();
    backend = new EmbeddedChannel(new ChannelOutboundHandlerAdapter() {
      @Override
      public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ReferenceCountUtil.release(msg);
        writes.add(promise);
      }
    });
    backend.config().setAutoRead(false);
    connects.get(0).accept(backend);
    assertThat(writes).hasSize(1);
    assertThat(budget.used()).as("the relay's now, counted once").isEqualTo(hello.length + 1000);

    writes.get(0).setSuccess();
    assertThat(budget.used()).isZero();
    client.close();
    backend.close();
    assertThat(budget.used()).as("not given back twice").isZero();
  }

  @Test
  void aFailedDialGivesTheBytesBack() {
    MemoryBudget budget = new MemoryBudget(1 << 20);
    connecting(budget);
    client.writeInbound(Unpooled.wrappedBuffer(new byte[500]));
    failures.get(0).run();
    assertThat(client.isOpen()).isFalse();
    assertThat(budget.used()).isZero();
    assertThat(events.closedOn(client).reason()).isEqualTo(Reason.NO_BACKEND);
  }

  @Test
  void aClientLeavingWhileConnectingGivesTheBytesBack() {
    MemoryBudget budget = new MemoryBudget(1 << 20);
    connecting(budget);
    client.writeInbound(Unpooled.wrappedBuffer(new byte[500]));
    client.close();
    assertThat(cancelled).isEqualTo(1);
    assertThat(budget.used()).isZero();
  }

  @Test
  void aLateReadThatDoesNotFitTheBudgetIsRefusedAsAHelloWouldBe() {
    MemoryBudget budget = new MemoryBudget(100_000);
    budget.reserve(60_000); // relayed bytes of other connections, moving
    connecting(budget);
    client.writeInbound(Unpooled.wrappedBuffer(new byte[40_000]));
    assertThat(client.isOpen()).isFalse();
    assertThat(cancelled).isEqualTo(1);
    assertThat(budget.used()).isEqualTo(60_000);
    assertThat(budget.refusedCount()).isEqualTo(1);
    ConnectionRecord record = events.closedOn(client);
    assertThat(record.decision()).isEqualTo(Decision.ERROR);
    assertThat(record.reason()).isEqualTo(Reason.MEMORY_BUDGET);
  }

  @Test
  void aConnectionWaitingForItsBackendCanBeShed() {
    MemoryBudget budget = new MemoryBudget(100_000);
    connecting(budget);
    client.writeInbound(Unpooled.wrappedBuffer(new byte[10_000]));
    budget.reserve(70_000); // other connections' relayed bytes: over 75 %, the connecting one goes
    client.runPendingTasks();
    assertThat(budget.shedCount()).isEqualTo(1);
    assertThat(client.isOpen()).isFalse();
    assertThat(cancelled).isEqualTo(1);
    assertThat(budget.used()).isEqualTo(70_000);
    ConnectionRecord record = events.closedOn(client);
    assertThat(record.decision()).isEqualTo(Decision.ERROR);
    assertThat(record.reason()).isEqualTo(Reason.MEMORY_SHED);
  }
}
