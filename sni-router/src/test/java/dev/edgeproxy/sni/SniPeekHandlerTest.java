package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyMessageEncoder;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SniPeekHandlerTest {
  static final Duration HELLO_TIMEOUT = Duration.ofSeconds(5);

  final RecordingEvents events = new RecordingEvents();
  final AtomicInteger resolverCalls = new AtomicInteger();
  final EmbeddedBackends backends = new EmbeddedBackends();
  EmbeddedChannel channel;

  @AfterEach
  void release() {
    backends.releaseAll();
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
  }

  RouteResolver allowing() {
    return request -> {
      resolverCalls.incrementAndGet();
      return new RouteDecision.Forward(
          "pool", List.of(), Duration.ofSeconds(1), ProxyHeaderSpec.V2_WITH_TLVS,
          request.serverName(), null);
    };
  }

  RouteResolver refusing(boolean alert) {
    return request -> {
      resolverCalls.incrementAndGet();
      return new RouteDecision.Refuse(Reason.NOT_ALLOWED, request.serverName(), alert);
    };
  }

  EmbeddedChannel channel(RouteResolver resolver, boolean proxyProtocol, int maxBytes) {
    channel = new EmbeddedChannel();
    TlsFrontendSettings settings =
        new TlsFrontendSettings(
            "tls", proxyProtocol, peer -> true, HELLO_TIMEOUT, maxBytes, Duration.ofSeconds(60));
    TlsFrontend.init(
        channel, settings, resolver, ClientLimit.UNLIMITED, events, "0123456789abcdef", backends);
    return channel;
  }

  static void writeInChunks(EmbeddedChannel ch, byte[] bytes, int chunk) {
    for (int p = 0; p < bytes.length && ch.isOpen(); p += chunk) {
      ch.writeInbound(Unpooled.wrappedBuffer(bytes, p, Math.min(chunk, bytes.length - p)));
    }
  }

  ConnectionRecord closedRecord() {
    channel.runPendingTasks();
    ConnectionRecord record = events.closed.poll();
    assertThat(record).isNotNull();
    return record;
  }

  @Test
  void allowedHelloIsHandedOnByteForByteAndThePeekRemovesItself() {
    byte[] hello = Hellos.chromeLike("allowed.example.com", false);
    byte[] extra = {23, 3, 3, 0, 1, 42}; // early bytes after the hello ride along
    channel(allowing(), false, 16384);
    writeInChunks(channel, Hellos.prefix(hello, hello.length - 3), 7);
    assertThat(backends.decisions).isEmpty();
    // the read that completes the hello also carries the first bytes after it
    channel.writeInbound(Unpooled.wrappedBuffer(Hellos.concat(new byte[] {hello[hello.length - 3], hello[hello.length - 2], hello[hello.length - 1]}, extra)));
    assertThat(backends.decisions).hasSize(1);
    assertThat(backends.received(0)).isEqualTo(Hellos.concat(hello, extra));
    // the peek fired its decision and went; the connector acted on it and gave way to the relay
    assertThat(channel.pipeline().names())
        .contains(PipelineNames.RELAY)
        .doesNotContain(PipelineNames.SNI_PEEK, PipelineNames.UPSTREAM_CONNECT);
    assertThat(events.parsed).singleElement().satisfies(r -> {
      assertThat(r.serverName()).isEqualTo("allowed.example.com");
      assertThat(r.alpn()).containsExactly("h2", "http/1.1");
    });
    assertThat(channel.<Object>readOutbound()).isNull();
    channel.close();
    ConnectionRecord record = closedRecord();
    assertThat(record.decision()).isEqualTo(Decision.FORWARDED);
    assertThat(record.bytesIn()).isEqualTo(hello.length + extra.length);
    assertThat(events.opened).hasSize(1);
  }

  @Test
  void readingStaysOnWhileTheBackendConnectsAndStopsAtTheFirstLateRead() {
    // Turning reads off after the hello and on again for the relay cost two epoll_ctl calls per
    // connection; a TLS client sends nothing more before the server's hello, so reading stays on,
    // and a client that does send more is held to that one read until the relay runs.
    List<Consumer<Channel>> pendingConnects = new ArrayList<>();
    Dialer heldDialer =
        (inbound, tracker, decision, connected, failed) -> {
          pendingConnects.add(connected);
          return () -> {};
        };
    channel = new EmbeddedChannel();
    TlsFrontend.init(
        channel,
        new TlsFrontendSettings("tls", false, peer -> true, HELLO_TIMEOUT, 16384, Duration.ofSeconds(60)),
        allowing(), ClientLimit.UNLIMITED, events, "0123456789abcdef", heldDialer);
    byte[] hello = Hellos.jdk("TLSv1.3", "allowed.example.com");
    byte[] late = {23, 3, 3, 0, 2, 1, 2};

    channel.writeInbound(Unpooled.wrappedBuffer(hello));
    assertThat(pendingConnects).hasSize(1);
    assertThat(channel.config().isAutoRead()).as("reading on while connecting").isTrue();

    channel.writeInbound(Unpooled.wrappedBuffer(late));
    assertThat(channel.config().isAutoRead()).as("off after a late read").isFalse();

    EmbeddedChannel backend = new EmbeddedChannel();
    backend.config().setAutoRead(false);
    backends.backends.add(backend);
    pendingConnects.get(0).accept(backend);
    assertThat(backends.received(0)).isEqualTo(Hellos.concat(hello, late));
    assertThat(channel.config().isAutoRead()).as("on again once the relay runs").isTrue();
  }

  @Test
  void aRefusalStopsReading() {
    channel(refusing(false), false, 16384);
    channel.writeInbound(Unpooled.wrappedBuffer(Hellos.jdk("TLSv1.3", "evil.example.com")));
    assertThat(channel.config().isAutoRead()).isFalse();
  }

  @Test
  void aForwardWithNoCandidateFailsAtOnceAsNoBackend() {
    channel = new EmbeddedChannel();
    TlsFrontend.init(
        channel,
        new TlsFrontendSettings("tls", false, peer -> true, HELLO_TIMEOUT, 16384, Duration.ofSeconds(60)),
        allowing(), ClientLimit.UNLIMITED, events, "0123456789abcdef", CandidateDialer.INSTANCE);
    channel.writeInbound(Unpooled.wrappedBuffer(Hellos.jdk("TLSv1.3", "nowhere.example.com")));
    assertThat(channel.isOpen()).isFalse();
    ConnectionRecord record = closedRecord();
    assertThat(record.decision()).isEqualTo(Decision.ERROR);
    assertThat(record.reason()).isEqualTo(Reason.NO_BACKEND);
    assertThat(record.pool()).isEqualTo("pool");
  }

  @Test
  void refusedByNameGetsTheAlertAndIsClosed() {
    channel(refusing(true), false, 16384);
    writeInChunks(channel, Hellos.jdk("TLSv1.3", "evil.example.com"), 100);
    ByteBuf alert = channel.readOutbound();
    try {
      assertThat(ByteBufUtil.hexDump(alert)).isEqualTo("15030300020270");
    } finally {
      alert.release();
    }
    assertThat(channel.isOpen()).isFalse();
    assertThat(backends.decisions).isEmpty();
    ConnectionRecord record = closedRecord();
    assertThat(record.decision()).isEqualTo(Decision.REFUSED);
    assertThat(record.reason()).isEqualTo(Reason.NOT_ALLOWED);
    assertThat(record.host()).isEqualTo("evil.example.com");
  }

  @Test
  void shadowModeForwardIsRecordedAsWouldRefuse() {
    channel(
        request -> new RouteDecision.Forward(
            "pool", List.of(), Duration.ofSeconds(1), ProxyHeaderSpec.NONE, null, Reason.NOT_ALLOWED),
        false, 16384);
    channel.writeInbound(Unpooled.wrappedBuffer(Hellos.jdk("TLSv1.3", "Shadow.Example.com")));
    assertThat(backends.decisions).hasSize(1);
    channel.close();
    ConnectionRecord record = closedRecord();
    assertThat(record.decision()).isEqualTo(Decision.WOULD_REFUSE);
    assertThat(record.reason()).isEqualTo(Reason.NOT_ALLOWED);
    assertThat(record.host()).isEqualTo("Shadow.Example.com"); // raw, as no valid host was decided
  }

  @Test
  void refusalWithoutAlertJustCloses() {
    channel(refusing(false), false, 16384);
    channel.writeInbound(Unpooled.wrappedBuffer(Hellos.jdk("TLSv1.2", "x.example.com")));
    assertThat(channel.<Object>readOutbound()).isNull();
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void timeoutCountsFromAcceptAndClosesWithoutAsking() {
    channel(allowing(), false, 16384);
    byte[] hello = Hellos.jdk("TLSv1.3", "slow.example.com");
    channel.writeInbound(Unpooled.wrappedBuffer(hello, 0, 20));
    channel.advanceTimeBy(HELLO_TIMEOUT.toMillis() - 1000, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
    assertThat(channel.isOpen()).isTrue();
    channel.advanceTimeBy(1000, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
    assertThat(channel.isOpen()).isFalse();
    assertThat(channel.<Object>readOutbound()).isNull();
    assertThat(resolverCalls).hasValue(0);
    ConnectionRecord record = closedRecord();
    assertThat(record.reason()).isEqualTo(Reason.TIMEOUT);
    assertThat(record.decision()).isEqualTo(Decision.REFUSED);
  }

  @Test
  void timeoutIsCancelledOnceDecided() {
    channel(allowing(), false, 16384);
    channel.writeInbound(Unpooled.wrappedBuffer(Hellos.jdk("TLSv1.3", "fast.example.com")));
    channel.advanceTimeBy(HELLO_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
    channel.runScheduledPendingTasks();
    assertThat(channel.isOpen()).isTrue();
    assertThat(backends.decisions).hasSize(1);
  }

  @Test
  void tooLargeIsClosedWithoutAsking() {
    channel(allowing(), false, 1024);
    byte[] split = Hellos.records(Hellos.unframe(Hellos.chromeLike("big.example.com", false)), 200);
    writeInChunks(channel, split, 50);
    assertThat(channel.isOpen()).isFalse();
    assertThat(resolverCalls).hasValue(0);
    assertThat(channel.<Object>readOutbound()).isNull();
    assertThat(closedRecord().reason()).isEqualTo(Reason.TOO_LARGE);
  }

  @Test
  void nonTlsIsClosedWithoutAsking() {
    channel(allowing(), false, 16384);
    channel.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: a\r\n\r\n", StandardCharsets.US_ASCII));
    assertThat(channel.isOpen()).isFalse();
    assertThat(resolverCalls).hasValue(0);
    assertThat(channel.<Object>readOutbound()).isNull();
    ConnectionRecord record = closedRecord();
    assertThat(record.reason()).isEqualTo(Reason.NOT_TLS);
    assertThat(record.decision()).isEqualTo(Decision.REFUSED);
  }

  /** A single-record hello whose record and handshake lengths are set from its body. */
  static byte[] framed(byte[] body) {
    return Hellos.records(Hellos.handshake(body), 16384);
  }

  static byte[] body(byte[] singleRecordHello) {
    return Arrays.copyOfRange(singleRecordHello, 9, singleRecordHello.length);
  }

  static Stream<Arguments> malformedHellos() {
    byte[] good = Hellos.jdk("TLSv1.3", "bad.example.com");
    byte[] badSessionId = good.clone();
    badSessionId[5 + 4 + 2 + 32] = 33; // a session id is at most 32 bytes
    byte[] body = body(good);
    byte[] truncatedExtensions = framed(Arrays.copyOf(body, body.length - 3));
    byte[] trailingInRecord = good.clone();
    trailingInRecord = Hellos.concat(trailingInRecord, new byte[] {0});
    int recordLength = Hellos.u16(trailingInRecord, 3) + 1; // the record claims the extra byte too
    trailingInRecord[3] = (byte) (recordLength >>> 8);
    trailingInRecord[4] = (byte) recordLength;
    byte[] wrongHandshakeType = good.clone();
    wrongHandshakeType[5] = 2;
    return Stream.of(
        Arguments.of("bad session id length", badSessionId),
        Arguments.of("truncated extensions", truncatedExtensions),
        Arguments.of("trailing bytes in the record", trailingInRecord),
        Arguments.of("not a ClientHello", wrongHandshakeType));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedHellos")
  void malformedTlsGetsDecodeErrorBeforeTheClose(String what, byte[] hello) {
    channel(allowing(), false, 16384);
    writeInChunks(channel, hello, 64);
    ByteBuf alert = channel.readOutbound();
    assertThat(alert).as("a fatal alert for a malformed hello (%s)", what).isNotNull();
    try {
      assertThat(ByteBufUtil.hexDump(alert)).isEqualTo("15030300020232"); // fatal decode_error (50)
    } finally {
      alert.release();
    }
    assertThat(channel.<Object>readOutbound()).isNull();
    assertThat(channel.isOpen()).isFalse();
    assertThat(resolverCalls).hasValue(0);
    ConnectionRecord record = closedRecord();
    assertThat(record.decision()).isEqualTo(Decision.REFUSED);
    assertThat(record.reason()).isEqualTo(Reason.MALFORMED);
  }

  @Test
  void clientLeavingEarlyIsAnError() {
    channel(allowing(), false, 16384);
    channel.writeInbound(Unpooled.wrappedBuffer(Hellos.prefix(Hellos.jdk("TLSv1.3", "a.example.com"), 30)));
    channel.close();
    ConnectionRecord record = closedRecord();
    assertThat(record.decision()).isEqualTo(Decision.ERROR);
    assertThat(record.reason()).isEqualTo(Reason.CLIENT_CLOSED);
    assertThat(record.bytesIn()).isEqualTo(30);
  }

  @Test
  void proxyHeaderAddressesBecomeTheConnection() {
    channel(allowing(), true, 16384);
    HAProxyMessage header =
        new HAProxyMessage(
            HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4,
            "198.51.100.7", "203.0.113.9", 40000, 443);
    byte[] hello = Hellos.jdk("TLSv1.3", "lb.example.com");
    writeInChunks(channel, Hellos.concat(encode(header), hello), 5);
    assertThat(backends.decisions).hasSize(1);
    assertThat(backends.received(0)).isEqualTo(hello);
    assertThat(channel.pipeline().names())
        .doesNotContain(PipelineNames.PROXY_DECODER, PipelineNames.PROXY_INFO, PipelineNames.SNI_PEEK);
    ConnectionInfo info = events.parsed.get(0).connection();
    assertThat(info.client()).isEqualTo(new InetSocketAddress("198.51.100.7", 40000));
    assertThat(info.local()).isEqualTo(new InetSocketAddress("203.0.113.9", 443));
    assertThat(events.opened).containsExactly(info);
  }

  @Test
  void localProxyCommandKeepsTheSocketAddresses() {
    channel(allowing(), true, 16384);
    HAProxyMessage header =
        new HAProxyMessage(
            HAProxyProtocolVersion.V2, HAProxyCommand.LOCAL, HAProxyProxiedProtocol.UNKNOWN,
            null, null, 0, 0);
    channel.writeInbound(Unpooled.wrappedBuffer(Hellos.concat(encode(header), Hellos.jdk("TLSv1.3", "l.example.com"))));
    assertThat(backends.decisions).hasSize(1);
    assertThat(events.parsed.get(0).connection().client().getPort()).isZero();
  }

  @Test
  void missingProxyHeaderClosesTheConnection() {
    channel(allowing(), true, 16384);
    channel.writeInbound(Unpooled.wrappedBuffer(Hellos.jdk("TLSv1.3", "nohdr.example.com")));
    assertThat(channel.isOpen()).isFalse();
    assertThat(resolverCalls).hasValue(0);
    assertThat(channel.<Object>readOutbound()).isNull();
    ConnectionRecord record = closedRecord();
    assertThat(record.reason()).isEqualTo(Reason.BAD_PROXY_HEADER);
    assertThat(events.opened).hasSize(1);
  }

  static byte[] encode(HAProxyMessage message) {
    EmbeddedChannel encoder = new EmbeddedChannel(HAProxyMessageEncoder.INSTANCE);
    try {
      encoder.writeOutbound(message);
      ByteBuf out = encoder.readOutbound();
      try {
        return ByteBufUtil.getBytes(out);
      } finally {
        out.release();
      }
    } finally {
      encoder.finishAndReleaseAll();
    }
  }
}
