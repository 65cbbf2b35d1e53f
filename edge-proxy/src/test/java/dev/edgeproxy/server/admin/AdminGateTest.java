package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Issue 8, points 5 and 7: the admin connection's reading is bounded by what the client takes. */
class AdminGateTest {
  /** A socket whose peer does not read: writes are accepted and never complete. */
  static final class StalledSocket extends ChannelOutboundHandlerAdapter {
    final List<ChannelPromise> pending = new ArrayList<>();

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      ReferenceCountUtil.release(msg);
      pending.add(promise);
    }

    void drain() {
      List<ChannelPromise> done = new ArrayList<>(pending);
      pending.clear();
      done.forEach(ChannelPromise::setSuccess);
    }
  }

  /** Answers every request at once, with 1 KiB. */
  static final class Answering extends ChannelInboundHandlerAdapter {
    final List<String> seen = new ArrayList<>();
    final List<Throwable> failures = new ArrayList<>();

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      failures.add(cause); // as AdminHandler: a cut-off request closes the connection
      ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      FullHttpRequest req = (FullHttpRequest) msg;
      seen.add(req.uri() + " " + req.content().readableBytes());
      boolean keepAlive = HttpUtil.isKeepAlive(req);
      req.release();
      var res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(new byte[1024]));
      HttpUtil.setContentLength(res, 1024);
      HttpUtil.setKeepAlive(res, keepAlive);
      ctx.writeAndFlush(res);
    }
  }

  final StalledSocket socket = new StalledSocket();
  final Answering handler = new Answering();
  EmbeddedChannel channel;

  @AfterEach
  void close() {
    channel.finishAndReleaseAll();
  }

  EmbeddedChannel channel(AdminGate.Admitter admitter) {
    channel =
        new EmbeddedChannel(
            socket, new HttpServerCodec(), new AdminGate(admitter), new HttpObjectAggregator(1 << 20), handler);
    return channel;
  }

  static void send(EmbeddedChannel ch, String text) {
    ch.writeInbound(Unpooled.copiedBuffer(text, StandardCharsets.ISO_8859_1));
  }

  @Test
  void aClientThatDoesNotReadGetsAtMostMaxInFlightAnswersAndIsClosed() {
    channel((head, client) -> AdminGate.Admission.upTo(4096));
    // (Netty's codec itself refuses more than 128 pipelined requests.)
    send(channel, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n".repeat(100));
    assertThat(handler.seen).hasSize(AdminGate.MAX_IN_FLIGHT);
    assertThat(socket.pending).isNotEmpty().hasSizeLessThanOrEqualTo(2 * AdminGate.MAX_IN_FLIGHT); // head, body
    assertThat(channel.config().isAutoRead()).isFalse();
    assertThat(channel.isOpen()).isTrue();
    socket.drain(); // the answers owed go out, then the connection closes: the rest was dropped
    channel.runPendingTasks();
    assertThat(channel.isOpen()).isFalse();
    assertThat(handler.seen).hasSize(AdminGate.MAX_IN_FLIGHT);
  }

  @Test
  void aClientThatReadsIsServedRequestAfterRequest() {
    channel((head, client) -> AdminGate.Admission.upTo(4096));
    for (int i = 0; i < 50; i++) {
      send(channel, "GET /status HTTP/1.1\r\nHost: x\r\n\r\n");
      socket.drain();
    }
    assertThat(handler.seen).hasSize(50);
    assertThat(channel.config().isAutoRead()).isTrue();
    assertThat(channel.isOpen()).isTrue();
  }

  @Test
  void aRefusedHeadIsPassedOnWithoutItsBodyAndTheConnectionCloses() {
    channel((head, client) -> AdminGate.Admission.refuse());
    send(channel, "POST /sync HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n" + "x".repeat(1000));
    assertThat(handler.seen).containsExactly("/sync 0");
    socket.drain();
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void bodiesOverTheAdmittedSizeGet413BeforeTheyAreRead() {
    channel((head, client) -> AdminGate.Admission.upTo(100));
    send(channel, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n");
    assertThat(handler.seen).isEmpty();
    assertThat(socket.pending).hasSize(1);
    socket.drain();
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void chunkedBodiesOverTheAdmittedSizeGet413() {
    channel((head, client) -> AdminGate.Admission.upTo(100));
    send(channel, "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + "y".repeat(100) + "\r\n");
    send(channel, "1\r\nz\r\n0\r\n\r\n");
    assertThat(handler.seen).isEmpty();
    assertThat(socket.pending).hasSize(1);
    socket.drain();
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void aRequestThatDoesNotArriveWholeInTimeIsClosed() {
    channel((head, client) -> AdminGate.Admission.upTo(4096));
    send(channel, "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
    channel.advanceTimeBy(AdminGate.REQUEST_TIMEOUT.toMillis() + 1, TimeUnit.MILLISECONDS);
    channel.runPendingTasks();
    assertThat(channel.isOpen()).isFalse();
    assertThat(handler.seen).isEmpty();
  }
}
