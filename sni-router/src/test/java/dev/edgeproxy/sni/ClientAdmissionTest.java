package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Who may send a PROXY header, and the per-client limit on the real client address: applied by
 * one handler, at accept without a header and the moment a trusted header is decoded with one.
 */
class ClientAdmissionTest {
  static final InetAddress REPORTED = address("198.51.100.7");

  final RecordingEvents events = new RecordingEvents();
  final AtomicInteger resolverCalls = new AtomicInteger();
  final List<InetAddress> trustAsked = new ArrayList<>();
  RecordingLimit limit = new RecordingLimit(Set.of());
  EmbeddedChannel channel;

  @AfterEach
  void release() {
    if (channel != null) {
      channel.finishAndReleaseAll();
    }
  }

  EmbeddedChannel tls(boolean acceptProxyProtocol, Predicate<InetAddress> trusted) {
    channel = new EmbeddedChannel();
    TlsFrontendSettings settings =
        new TlsFrontendSettings(
            "tls",
            acceptProxyProtocol,
            peer -> {
              trustAsked.add(peer);
              return trusted.test(peer);
            },
            Duration.ofSeconds(5),
            16384,
            Duration.ofSeconds(60));
    RouteResolver resolver =
        request -> {
          resolverCalls.incrementAndGet();
          return new RouteDecision.Refuse(Reason.NOT_ALLOWED, request.serverName(), true);
        };
    TlsFrontend.init(
        channel, settings, resolver, limit, events, "0123456789abcdef",
        (inbound, tracker, decision, connected, failed) -> {
          throw new AssertionError("nothing is forwarded here");
        });
    return channel;
  }

  ConnectionRecord closedRecord() {
    channel.runPendingTasks();
    ConnectionRecord record = events.closed.poll();
    assertThat(record).isNotNull();
    return record;
  }

  @Test
  void anUntrustedPeersConnectionIsClosedBeforeAnythingIsRead() {
    tls(true, peer -> false);
    assertThat(channel.isOpen()).isFalse();
    assertThat(trustAsked).containsExactly(new InetSocketAddress(0).getAddress());
    assertThat(channel.pipeline().names())
        .doesNotContain(PipelineNames.PROXY_DECODER, PipelineNames.CLIENT_LIMIT, PipelineNames.SNI_PEEK);
    ConnectionRecord record = closedRecord();
    assertThat(record.decision()).isEqualTo(Decision.REFUSED);
    assertThat(record.reason()).isEqualTo(Reason.UNTRUSTED_PROXY);
    assertThat(record.bytesIn()).isZero();
    assertThat(limit.acquired).as("an untrusted peer takes no client slot").isEmpty();
  }

  @Test
  void theReportedAddressIsCountedTheMomentTheHeaderIsDecoded() {
    tls(true, peer -> true);
    assertThat(limit.acquired).as("nothing counted before the header").isEmpty();
    channel.writeInbound(Unpooled.wrappedBuffer(header()));
    assertThat(limit.acquired).containsExactly(REPORTED);
    assertThat(channel.isOpen()).isTrue();
    assertThat(resolverCalls).hasValue(0);
    assertThat(channel.pipeline().names())
        .doesNotContain(PipelineNames.PROXY_INFO, PipelineNames.CLIENT_LIMIT)
        .contains(PipelineNames.SNI_PEEK);
    channel.close();
    closedRecord();
    assertThat(limit.released).containsExactly(REPORTED);
  }

  @Test
  void aReportedAddressOverItsLimitIsClosedRightAfterTheHeaderAndWhatFollowsIsDropped() {
    limit = new RecordingLimit(Set.of(REPORTED));
    tls(true, peer -> true);
    byte[] hello = Hellos.jdk("TLSv1.3", "held.example.com");
    ByteBuf bytes = Unpooled.wrappedBuffer(Hellos.concat(header(), hello));
    channel.writeInbound(bytes);
    assertThat(bytes.refCnt()).as("the bytes after the header are released").isZero();
    assertThat(channel.isOpen()).isFalse();
    assertThat(resolverCalls).as("the ClientHello is never looked at").hasValue(0);
    assertThat(events.parsed).isEmpty();
    ConnectionRecord record = closedRecord();
    assertThat(record.reason()).isEqualTo(Reason.LIMIT);
    assertThat(record.connection().client()).isEqualTo(new InetSocketAddress(REPORTED, 40000));
    assertThat(limit.released).as("a refused client gives back nothing").isEmpty();
  }

  @Test
  void withoutProxyProtocolTheSocketAddressIsCountedBeforeTheFirstRead() {
    InetAddress socket = new InetSocketAddress(0).getAddress();
    limit = new RecordingLimit(Set.of(socket));
    tls(false, peer -> false);
    assertThat(trustAsked).as("no PROXY header expected: nobody's trust is asked").isEmpty();
    assertThat(channel.isOpen()).isFalse();
    assertThat(channel.pipeline().names()).doesNotContain(PipelineNames.SNI_PEEK);
    assertThat(closedRecord().reason()).isEqualTo(Reason.LIMIT);
  }

  @Test
  void thePlainHttpListenerAppliesTheSameLimitAtAccept() {
    InetAddress socket = new InetSocketAddress(0).getAddress();
    limit = new RecordingLimit(Set.of(socket));
    channel = new EmbeddedChannel();
    HttpFrontend.init(
        channel,
        new HttpFrontendSettings(
            "http", HttpFrontendSettings.Mode.FORWARD, 16384, Duration.ofSeconds(5), Duration.ofMinutes(1)),
        request -> {
          throw new AssertionError("no request is read");
        },
        limit,
        events,
        "0123456789abcdef",
        (inbound, tracker, decision, connected, failed) -> {
          throw new AssertionError("nothing is dialed");
        });
    assertThat(channel.isOpen()).isFalse();
    assertThat(channel.pipeline().names()).doesNotContain(HttpFrontend.DECODER, HttpFrontend.FRONTEND);
    assertThat(closedRecord().reason()).isEqualTo(Reason.LIMIT);
  }

  static byte[] header() {
    return SniPeekHandlerTest.encode(
        new HAProxyMessage(
            HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, HAProxyProxiedProtocol.TCP4,
            REPORTED.getHostAddress(), "203.0.113.9", 40000, 443));
  }

  static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Refuses the given addresses, admits the rest, and remembers both. */
  static final class RecordingLimit implements ClientLimit {
    final Set<InetAddress> refused;
    final List<InetAddress> acquired = new ArrayList<>();
    final List<InetAddress> released = new ArrayList<>();

    RecordingLimit(Set<InetAddress> refused) {
      this.refused = refused;
    }

    @Override
    public boolean tryAcquire(InetAddress client) {
      if (refused.contains(client)) {
        return false;
      }
      acquired.add(client);
      return true;
    }

    @Override
    public void release(InetAddress client) {
      released.add(client);
    }
  }
}
