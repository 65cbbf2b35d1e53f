package dev.edgeproxy.sni;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The client half of an HTTP listener's connection, behind the request decoder. Requests are
 * handled one at a time, in order: a pipelined request waits in the {@link HttpRequestQueue} (reads
 * paused) until the previous exchange is over, so that a refusal or a local answer never overtakes
 * a backend response and nothing of one host leaks into another's exchange. Each head gets its
 * {@link HttpAdmission} verdict:
 *
 * <ul>
 *   <li>refused: {@code 421} (or what the verdict says) and close ({@link HttpReplies});
 *   <li>redirect: {@code 308} to https, body discarded, keep-alive honoured;
 *   <li>forward: through the {@link HttpBackendSide}, which opens the backend connection for the
 *       first one and keeps it bound to that pool; a request for another pool gets {@code 421}.
 * </ul>
 *
 * <p>A client that does not read its answers is not read either: a head is handled only while the
 * channel is writable. The head timer bounds the wait for each head. Everything runs on the
 * client's event loop (the backend channel shares it).
 */
final class HttpFrontendHandler extends ChannelInboundHandlerAdapter {

  /** Where the connection stands; {@link #CLOSING} is final. */
  enum Phase {
    /** Requests are read and handled. */
    OPEN,
    /** The first forwarded request waits for its backend connection: nothing more is read. */
    CONNECTING,
    /** A {@code 101} answered a WebSocket handshake: the connection is becoming a tunnel. */
    UPGRADING,
    /** Refused, answered for the last time, or cut: whatever is read is dropped. */
    CLOSING
  }

  private final HttpFrontendSettings settings;
  private final RouteResolver resolver;
  private final ConnectionTracker tracker;
  private final Dialer dialer;
  private final HttpFrontendEncoder encoder;
  private final HttpMemory memory;
  private final HttpRequestQueue queue;

  private ChannelHandlerContext ctx;
  private HttpBackendSide backend;
  private Phase phase = Phase.OPEN;
  private HttpDispatch dispatch;
  private boolean clientInputShut;
  /** The queue is being drained: a nested call (a backend connected synchronously) leaves it. */
  private boolean draining;
  private final HttpHeadTimer headTimer;

  HttpFrontendHandler(
      HttpFrontendSettings settings,
      RouteResolver resolver,
      ConnectionTracker tracker,
      Dialer dialer,
      HttpByteCounter counter,
      HttpFrontendEncoder encoder,
      Channel client) {
    this.settings = settings;
    this.resolver = resolver;
    this.tracker = tracker;
    this.dialer = dialer;
    this.encoder = encoder;
    this.memory = new HttpMemory(client, this::shed);
    this.queue = new HttpRequestQueue(memory);
    this.headTimer =
        new HttpHeadTimer(settings.headerTimeout(), tracker, counter, () -> readyForHead() && queue.isEmpty(), this::closeBoth);
  }

  HttpMemory memory() {
    return memory;
  }

  Phase phase() {
    return phase;
  }

  /** Moves to {@code next}, unless the connection is already closing. */
  void enter(Phase next) {
    if (phase != Phase.CLOSING) {
      phase = next;
    }
  }

  boolean clientInputShut() {
    return clientInputShut;
  }

  boolean forwardingBody() {
    return dispatch.forwardingBody();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.backend = new HttpBackendSide(this, ctx, tracker, dialer, encoder, memory);
    this.dispatch = new HttpDispatch(settings, resolver, tracker, encoder, this, backend, ctx);
    headTimer.startFirst(ctx.executor());
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    headTimer.cancel();
    releaseHeld();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (phase == Phase.CLOSING || queue.overflowed() || !(msg instanceof HttpObject obj)) {
      ReferenceCountUtil.release(msg); // nothing read after a refusal goes anywhere
      return;
    }
    if (!queue.isEmpty() || (obj instanceof HttpRequest && !readyForHead())) {
      queue.add(obj); // owned by the queue until processed or released on close
      updateClientRead();
      return;
    }
    process(obj);
    afterProcessing();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    backend.flush();
    ctx.fireChannelReadComplete();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    // The backend reads only while the client can take its bytes; so does the client, whose
    // requests would otherwise pile up answers that it does not read.
    boolean writable = ctx.channel().isWritable();
    if (phase != Phase.CLOSING) {
      backend.clientWritabilityChanged(writable);
    }
    memory.writabilityChanged(backend.channel());
    if (writable && (phase == Phase.OPEN || phase == Phase.CONNECTING)) {
      // Later, not inside the write or flush that made room: that exchange is not over yet.
      ctx.executor().execute(this::resumeAfterWritable);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      clientInputShut = true;
      if (phase == Phase.CLOSING) {
        ctx.close();
      } else if (readyForHead() && queue.isEmpty()) {
        // Nothing more can come and nothing is owed, but the last answer may still be queued for a
        // slow reader: close once it is written (closing at once cut its end).
        LingeringClose.closeOnFlush(ctx.channel());
      } else if (dispatch.inBody()) {
        tracker.closeReason(Reason.CLIENT_CLOSED); // a request cut short
        closeBoth();
      }
      // else: an answer is still owed; the connection closes once it is sent.
    } else if (evt instanceof IdleStateEvent) {
      tracker.closeReason(Reason.IDLE_TIMEOUT);
      closeBoth();
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    phase = Phase.CLOSING;
    headTimer.cancel();
    releaseHeld();
    backend.clientInactive();
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    tracker.fail(Reason.IO_ERROR);
    closeBoth();
  }

  private void resumeAfterWritable() {
    if ((phase == Phase.OPEN || phase == Phase.CONNECTING) && ctx.channel().isActive()) {
      afterProcessing();
    }
  }

  /** A new request head may be handled now; not while the client leaves its answers unread. */
  private boolean readyForHead() {
    return phase == Phase.OPEN && !dispatch.inBody() && !backend.awaitingResponse() && ctx.channel().isWritable();
  }

  private void process(HttpObject obj) {
    if (obj instanceof HttpRequest request) {
      headTimer.cancel();
      dispatch.onHead(request);
    } else if (obj instanceof HttpContent content) {
      dispatch.onContent(content);
    } else {
      ReferenceCountUtil.release(obj);
    }
  }

  /** Sends a last answer, then closes without losing it. */
  void respondAndClose(FullHttpResponse response) {
    encoder.headRequest(false);
    phase = Phase.CLOSING;
    headTimer.cancel();
    releaseHeld();
    backend.close();
    HttpReplies.sendLast(ctx.channel(), response);
  }

  void afterProcessing() {
    if (!draining) {
      drainQueue();
    }
  }

  /** Processes what waited, in order, as far as the state allows; then arms the head timer. */
  private void drainQueue() {
    draining = true;
    try {
      while (!queue.isEmpty() && phase != Phase.CLOSING && (!queue.nextIsHead() || readyForHead())) {
        process(queue.take());
      }
    } finally {
      draining = false;
    }
    backend.flush();
    if (phase == Phase.CLOSING) {
      return;
    }
    if (readyForHead() && queue.isEmpty()) {
      if (queue.overflowed()) {
        tracker.closeReason(Reason.PIPELINE_LIMIT);
      }
      if (clientInputShut || queue.overflowed()) {
        LingeringClose.closeOnFlush(ctx.channel());
        return;
      }
      headTimer.startNext();
    }
    updateClientRead();
  }

  void updateClientRead() {
    boolean read;
    if (phase == Phase.CLOSING || phase == Phase.UPGRADING) {
      return;
    } else if (queue.overflowed() || phase == Phase.CONNECTING) {
      read = false;
    } else if (dispatch.forwardingBody()) {
      read = backend.writable();
    } else if (dispatch.discardingBody()) {
      read = true;
    } else {
      read = queue.isEmpty() && !backend.awaitingResponse() && ctx.channel().isWritable();
    }
    ctx.channel().config().setAutoRead(read);
  }

  void releaseHeld() {
    queue.releaseAll();
    backend.releasePending();
  }

  void closeBoth() {
    phase = Phase.CLOSING;
    headTimer.cancel();
    releaseHeld();
    backend.close();
    ctx.close();
  }

  /** The connection becomes a tunnel: nothing HTTP is pending any more. */
  void leaveForTunnel() {
    headTimer.cancel();
    releaseHeld(); // anything decoded as HTTP after the upgrade request cannot be replayed
  }

  /** {@link ConnectionHandle}: drain or revocation; safe from any thread. */
  void closeFromOutside(Reason reason) {
    Channel channel = ctx.channel();
    if (!channel.eventLoop().inEventLoop()) {
      channel.eventLoop().execute(() -> closeFromOutside(reason));
      return;
    }
    tracker.closeReason(reason);
    closeBoth();
  }

  /** {@link HttpMemory}: the budget needs this connection's bytes back. */
  private void shed() {
    if (tracker.decision() == null) {
      tracker.refuse(Reason.MEMORY_SHED, null); // not one request handled yet
    } else {
      tracker.closeReason(Reason.MEMORY_SHED);
    }
    if (phase == Phase.UPGRADING) {
      ctx.channel().close(); // a tunnel by now: the relay closes its peer
      return;
    }
    closeBoth();
  }
}
