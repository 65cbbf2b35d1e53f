package dev.edgeproxy.server.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Between the admin connection's HTTP decoder and the body aggregator: every request head is
 * judged before a byte of its body is read, bodies are capped per request, a request must arrive
 * whole within {@link #REQUEST_TIMEOUT}, and reading stops while answers are not taken.
 *
 * <ul>
 *   <li>A head the {@link Admitter} refuses goes on with an empty body and {@code Connection:
 *       close}: the handler answers it in order (403, 401...) and closes; its body is never read.
 *   <li>A body longer than the admitted size gets 413 and the connection closes.
 *   <li>Reading pauses while the channel is not writable or {@link #MAX_IN_FLIGHT} requests wait
 *       for their answers; a client that pipelines more anyway has the rest dropped and the
 *       connection closed once the answers owed are written.
 * </ul>
 */
final class AdminGate extends ChannelDuplexHandler {
  /** Requests read and not yet answered, per connection. */
  static final int MAX_IN_FLIGHT = 8;
  /** From accept, or from the previous answer, until a request (head and body) is complete. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);

  /** What may follow a request head. */
  record Admission(boolean refused, int maxBodyBytes) {
    static Admission refuse() {
      return new Admission(true, 0);
    }

    static Admission upTo(int maxBodyBytes) {
      return new Admission(false, maxBodyBytes);
    }
  }

  /** Judges a head by what it says and where it comes from: cheap, on the event loop. */
  @FunctionalInterface
  interface Admitter {
    Admission admit(HttpRequest head, InetAddress client);
  }

  private final Admitter admitter;
  private final long timeoutNanos;
  private int inFlight;
  private long bodyLeft;
  /** The current request's content is dropped (refused head, or more pipelined than allowed). */
  private boolean dropping;
  /** Nothing more is read or passed on; the connection closes once the owed answers are out. */
  private boolean finishing;
  private ScheduledFuture<?> timer;

  AdminGate(Admitter admitter) {
    this(admitter, REQUEST_TIMEOUT);
  }

  AdminGate(Admitter admitter, Duration timeout) {
    this.admitter = admitter;
    this.timeoutNanos = timeout.toNanos();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    arm(ctx);
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (finishing) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest head) {
      if (timer == null) {
        arm(ctx);
      }
      if (inFlight == MAX_IN_FLIGHT) {
        ReferenceCountUtil.release(msg); // pipelined past the cap in one read
        finish(ctx);
        return;
      }
      inFlight++;
      dropping = false;
      Admission admission =
          head.decoderResult().isFailure()
              ? Admission.upTo(0)
              : admitter.admit(head, clientAddress(ctx));
      if (admission.refused()) {
        refuse(ctx, head);
      } else if (HttpUtil.getContentLength(head, 0L) > admission.maxBodyBytes()) {
        ReferenceCountUtil.release(msg);
        tooLarge(ctx, admission.maxBodyBytes());
      } else {
        bodyLeft = admission.maxBodyBytes();
        ctx.fireChannelRead(msg);
      }
      if (msg instanceof LastHttpContent) {
        requestComplete();
      }
      updateRead(ctx);
      return;
    }
    if (msg instanceof HttpContent content) {
      boolean last = content instanceof LastHttpContent;
      if (dropping) {
        content.release();
      } else if ((bodyLeft -= content.content().readableBytes()) < 0) {
        content.release();
        tooLarge(ctx, -1);
      } else {
        ctx.fireChannelRead(content);
      }
      if (last) {
        requestComplete();
      }
      return;
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof HttpResponse response && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
      // In flight until written out to the socket: a client that does not read holds at most
      // MAX_IN_FLIGHT answers here. (A 100 Continue is not the answer.)
      ctx.write(msg, promise).addListener(f -> answered(ctx));
      return;
    }
    ctx.write(msg, promise);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    updateRead(ctx);
    ctx.fireChannelWritabilityChanged();
  }

  /** The refused head goes on without its body, so that the handler answers it in order. */
  private void refuse(ChannelHandlerContext ctx, HttpRequest head) {
    head.headers().remove(HttpHeaderNames.CONTENT_LENGTH).remove(HttpHeaderNames.TRANSFER_ENCODING);
    HttpUtil.setKeepAlive(head, false);
    dropping = true;
    ctx.fireChannelRead(head);
    if (!(head instanceof LastHttpContent)) {
      ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
    }
    finishing = true; // the handler closes after its answer
  }

  private void tooLarge(ChannelHandlerContext ctx, int limit) {
    finishing = true;
    dropping = true;
    cancel();
    if (inFlight > 1) {
      ctx.close(); // answers of earlier requests are pending: no way to answer this one in order
      return;
    }
    String text = limit >= 0 ? "request body larger than " + limit + " bytes" : "request body too large";
    byte[] body = ("{\"error\": \"" + text + "\"}\n").getBytes(StandardCharsets.UTF_8);
    FullHttpResponse res =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Unpooled.wrappedBuffer(body));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, AdminReply.JSON).set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    HttpUtil.setContentLength(res, body.length);
    ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
  }

  private void finish(ChannelHandlerContext ctx) {
    finishing = true;
    if (inFlight == 0) {
      ctx.close();
      return;
    }
    updateRead(ctx);
    arm(ctx); // the owed answers get this long to go out to a client that may not read them
  }

  private void requestComplete() {
    cancel();
  }

  private void answered(ChannelHandlerContext ctx) {
    inFlight--;
    if (finishing && inFlight == 0) {
      ctx.close();
      return;
    }
    if (inFlight == 0 && timer == null) {
      arm(ctx); // waiting for the next request
    }
    updateRead(ctx);
  }

  private void updateRead(ChannelHandlerContext ctx) {
    ctx.channel().config().setAutoRead(!finishing && inFlight < MAX_IN_FLIGHT && ctx.channel().isWritable());
  }

  private static InetAddress clientAddress(ChannelHandlerContext ctx) {
    return ctx.channel().remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
  }

  private void arm(ChannelHandlerContext ctx) {
    cancel();
    timer = ctx.executor().schedule(() -> {
      timer = null;
      ctx.close(); // no complete request in time: slow or idle client
    }, timeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
