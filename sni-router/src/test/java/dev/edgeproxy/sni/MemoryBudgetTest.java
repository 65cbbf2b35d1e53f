package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The budget as the ClientHello peek uses it: lazy, sized to what arrived, refused, shed. */
class MemoryBudgetTest {
  final RecordingEvents events = new RecordingEvents();
  final List<EmbeddedChannel> channels = new ArrayList<>();
  final EmbeddedBackends backends = new EmbeddedBackends();

  @AfterEach
  void release() {
    backends.releaseAll();
    channels.forEach(EmbeddedChannel::finishAndReleaseAll);
  }

  EmbeddedChannel peek(MemoryBudget budget) {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.attr(MemoryBudget.KEY).set(budget);
    TlsFrontendSettings settings =
        new TlsFrontendSettings("tls", false, peer -> false, Duration.ofSeconds(5), 16384, Duration.ofSeconds(60));
    RouteResolver allow =
        request -> new RouteDecision.Forward(
            "pool", List.of(), Duration.ofSeconds(1), ProxyHeaderSpec.NONE, request.serverName(), null);
    TlsFrontend.init(
        ch, settings, allow, ClientLimit.UNLIMITED, events, "id" + channels.size(), backends);
    channels.add(ch);
    return ch;
  }

  @Test
  void theHelloBufferIsTakenAtTheFirstByteSizedToWhatArrivedAndGivenBack() {
    MemoryBudget budget = new MemoryBudget(1 << 20);
    byte[] hello = Hellos.jdk("TLSv1.3", "lazy.example.com");
    EmbeddedChannel ch = peek(budget);
    assertThat(budget.used()).as("nothing held before the first byte").isZero();

    ch.writeInbound(Unpooled.wrappedBuffer(hello, 0, 100));
    assertThat(budget.used()).as("sized to what arrived").isEqualTo(100);
    ch.writeInbound(Unpooled.wrappedBuffer(hello, 100, 50));
    assertThat(budget.used()).as("grown by doubling").isEqualTo(200);
    ch.close();
    assertThat(budget.used()).isZero();
  }

  @Test
  void aForwardedHelloGivesItsReservationBack() {
    MemoryBudget budget = new MemoryBudget(1 << 20);
    EmbeddedChannel ch = peek(budget);
    ch.writeInbound(Unpooled.wrappedBuffer(Hellos.jdk("TLSv1.3", "fwd.example.com")));
    assertThat(backends.decisions).hasSize(1);
    assertThat(budget.used()).isZero();
  }

  @Test
  void aForwardedHelloNoConnectorTakesOverIsGivenBackByThePeek() {
    MemoryBudget budget = new MemoryBudget(1 << 20);
    EmbeddedChannel ch = new EmbeddedChannel();
    channels.add(ch);
    ch.attr(MemoryBudget.KEY).set(budget);
    ConnectionTracker tracker = ConnectionTracker.accept(ch, "alone", "tls", events);
    tracker.open();
    RouteResolver allow =
        request -> new RouteDecision.Forward(
            "pool", List.of(), Duration.ofSeconds(1), ProxyHeaderSpec.NONE, request.serverName(), null);
    ch.pipeline().addLast(new SniPeekHandler(Duration.ofSeconds(5), 16384, allow, events, tracker));
    ch.writeInbound(Unpooled.wrappedBuffer(Hellos.jdk("TLSv1.3", "alone.example.com")));
    assertThat(ch.pipeline().get(SniPeekHandler.class)).as("decided").isNull();
    assertThat(budget.used()).isZero();
  }

  @Test
  void pastTheRefusalThresholdNewConnectionsAreNotAdmitted() {
    MemoryBudget budget = new MemoryBudget(100_000);
    budget.reserve(89_999);
    assertThat(budget.admitting()).isTrue();
    budget.reserve(1);
    assertThat(budget.admitting()).isFalse();
    budget.release(1);
    assertThat(budget.admitting()).isTrue();
  }

  @Test
  void aHelloThatDoesNotFitTheBudgetIsRefused() {
    MemoryBudget budget = new MemoryBudget(1 << 20);
    budget.reserve((1 << 20) - 50); // relayed bytes of other connections
    EmbeddedChannel ch = peek(budget);
    ch.writeInbound(Unpooled.wrappedBuffer(Hellos.jdk("TLSv1.3", "full.example.com")));
    assertThat(ch.isOpen()).isFalse();
    assertThat(backends.decisions).isEmpty();
    ConnectionRecord record = events.closedOn(ch);
    assertThat(record.decision()).isEqualTo(Decision.REFUSED);
    assertThat(record.reason()).isEqualTo(Reason.MEMORY_BUDGET);
    assertThat(budget.used()).isEqualTo((1 << 20) - 50);
    assertThat(budget.refusedCount()).isEqualTo(1);
  }

  @Test
  void pastTheShedThresholdTheOldestStalledHellosAreClosedUntilUnderTheTarget() {
    MemoryBudget budget = new MemoryBudget(100_000);
    List<EmbeddedChannel> stalled = new ArrayList<>();
    for (int i = 0; i < 7; i++) { // 7 incomplete hellos of 10 000 bytes: 70 %, under the shed threshold
      EmbeddedChannel ch = peek(budget);
      ch.writeInbound(Unpooled.wrappedBuffer(incompleteHello(10_000)));
      stalled.add(ch);
    }
    assertThat(budget.used()).isEqualTo(70_000);
    assertThat(budget.shedCount()).isZero();

    EmbeddedChannel late = peek(budget);
    late.writeInbound(Unpooled.wrappedBuffer(incompleteHello(15_000))); // 85 %: shed
    stalled.forEach(EmbeddedChannel::runPendingTasks);

    // the three oldest go (85 % -> 55 %, under 65 %), the rest and the newest stay
    assertThat(stalled.subList(0, 3)).allSatisfy(ch -> assertThat(ch.isOpen()).isFalse());
    assertThat(stalled.subList(3, 7)).allSatisfy(ch -> assertThat(ch.isOpen()).isTrue());
    assertThat(late.isOpen()).isTrue();
    assertThat(budget.used()).isEqualTo(55_000);
    assertThat(budget.shedCount()).isEqualTo(3);
    ConnectionRecord record = events.closedOn(stalled.get(0));
    assertThat(record.reason()).isEqualTo(Reason.MEMORY_SHED);
    assertThat(budget.admitting()).isTrue();
  }

  /** A stalled connection holding {@code bytes}; shedding gives them back at once. */
  static final class StalledHolder implements MemoryBudget.Sheddable {
    final MemoryBudget budget;
    final long since;
    final long bytes;
    boolean shed;
    boolean movedOn;

    StalledHolder(MemoryBudget budget, long since, long bytes) {
      this.budget = budget;
      this.since = since;
      this.bytes = bytes;
      budget.reserve(bytes);
      budget.stalled(this);
    }

    @Override
    public long stalledSinceNanos() {
      return since;
    }

    @Override
    public long heldBytes() {
      return bytes;
    }

    @Override
    public Executor executor() {
      return Runnable::run;
    }

    @Override
    public boolean shed() {
      if (movedOn) {
        return false;
      }
      shed = true;
      budget.release(bytes);
      return true;
    }
  }

  @Test
  void aConnectionThatMovedOnBeforeItsShedRanIsNotCountedAsShed() {
    MemoryBudget budget = new MemoryBudget(100_000);
    StalledHolder stuck = new StalledHolder(budget, 2, 30_000);
    StalledHolder movedOn = new StalledHolder(budget, 1, 40_000); // 70 %, the older of the two
    movedOn.movedOn = true; // moving again by the time a shed chosen for it runs on its loop
    budget.reserve(10_000); // 80 %: the pass chooses the older, which moved on, then the other

    assertThat(movedOn.shed).isFalse();
    assertThat(stuck.shed).isTrue();
    assertThat(budget.shedCount()).isEqualTo(1);
  }

  @Test
  void aBurstRightAfterASuccessfulPassIsShedAtOnce() {
    long[] now = {0};
    MemoryBudget budget = new MemoryBudget(100_000, () -> now[0]);
    List<StalledHolder> holders = new ArrayList<>();
    for (int i = 0; i < 8; i++) { // the 8th takes the use to 80 %: the two oldest go, 60 % left
      holders.add(new StalledHolder(budget, i, 10_000));
    }
    assertThat(budget.shedCount()).isEqualTo(2);
    assertThat(budget.used()).isEqualTo(60_000);

    // Within the same instant two more arrive (80 % again), and nothing reserves after them: the
    // pass must run now, not wait for a reservation that may never come.
    holders.add(new StalledHolder(budget, 8, 10_000));
    holders.add(new StalledHolder(budget, 9, 10_000));
    assertThat(budget.shedCount()).isEqualTo(4);
    assertThat(budget.used()).isEqualTo(60_000);
    assertThat(holders.subList(0, 4)).allSatisfy(h -> assertThat(h.shed).isTrue());
    assertThat(holders.subList(4, 10)).allSatisfy(h -> assertThat(h.shed).isFalse());
  }

  @Test
  void aPassThatFellShortWaitsOneIntervalBeforeTheNext() {
    long[] now = {0};
    MemoryBudget budget = new MemoryBudget(100_000, () -> now[0]);
    budget.reserve(80_000); // moving traffic, nothing stalled: the pass finds nothing to shed

    StalledHolder holder = new StalledHolder(budget, 0, 10_000); // within the interval: no pass
    assertThat(holder.shed).isFalse();

    now[0] += MemoryBudget.SHED_INTERVAL_NANOS;
    budget.reserve(1); // the interval is over: the next reservation starts a pass
    assertThat(holder.shed).isTrue();
    assertThat(budget.shedCount()).isEqualTo(1);
  }

  @Test
  void aConnectionThatMovedOnBeforeItsShedRanLeavesNoBytesMarkedAsBeingShed() {
    long[] now = {0};
    MemoryBudget budget = new MemoryBudget(10_000, () -> now[0]);
    byte[] hello = Hellos.jdk("TLSv1.3", "racing.example.com");
    EmbeddedChannel racing = peek(budget);
    racing.writeInbound(Unpooled.wrappedBuffer(hello, 0, 100)); // stalled, 100 bytes
    budget.reserve(7_400); // 75 %: the pass chooses it; its close is queued on its loop

    // Before its loop runs the close, the rest of the hello arrives: forwarded, nothing to shed.
    racing.writeInbound(Unpooled.wrappedBuffer(hello, 100, hello.length - 100));
    assertThat(racing.isOpen()).isTrue();
    assertThat(backends.decisions).hasSize(1);
    assertThat(budget.shedCount()).as("chosen, but not closed").isZero();
    assertThat(budget.used()).isEqualTo(7_400);

    // The 100 bytes chosen then are no longer on their way out: a stalled newcomer that takes the
    // use to 75.5 % is shed in the next pass.
    StalledHolder next = new StalledHolder(budget, 1, 150);
    now[0] += MemoryBudget.SHED_INTERVAL_NANOS;
    budget.reserve(1);
    assertThat(next.shed).isTrue();
  }

  /** The start of a hello announcing 16 000 bytes, {@code n} bytes of it sent. */
  static byte[] incompleteHello(int n) {
    byte[] bytes = new byte[n];
    bytes[0] = 0x16;
    bytes[1] = 0x03;
    bytes[2] = 0x01;
    bytes[3] = (byte) (16_000 >>> 8);
    bytes[4] = (byte) 16_000;
    bytes[5] = 0x01;
    bytes[6] = 0x00;
    bytes[7] = (byte) ((16_000 - 4) >>> 8);
    bytes[8] = (byte) (16_000 - 4);
    return bytes;
  }
}
