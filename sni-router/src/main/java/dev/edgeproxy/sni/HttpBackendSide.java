package dev.edgeproxy.sni;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * The backend half of an HTTP connection: opens the backend connection for the first forwarded
 * request, keeps it bound to that request's pool, sends requests and their content, and frames the
 * response stream back to the client (interim answers, HEAD, keep-alive, the {@code 101} that turns
 * the connection into a tunnel). The client half, {@link HttpFrontendHandler}, owns the phase.
 */
final class HttpBackendSide {
  /** Response heads come from our own backends: more room than for clients. */
  private static final int BACKEND_MAX_HEADER_BYTES = 64 * 1024;

  /** A forwarded request whose final response has not ended yet: what its answer must respect. */
  private record Exchange(boolean keepAlive, boolean head, boolean webSocket) {}

  /** Where the current exchange's response stands. */
  private enum Response {
    /** No head yet, or only interim ones that ended. */
    AWAITING,
    /** A {@code 1xx} (not {@code 101}) is being relayed; the final answer follows. */
    INTERIM,
    /** The final answer is being relayed; the connection may carry the next exchange. */
    FINAL,
    /** The final answer is being relayed; the connection closes after it. */
    FINAL_THEN_CLOSE;

    /** Where a response stands once its head is relayed; a final one keeps the connection only if framed. */
    static Response of(HttpResponse head, boolean headRequest) {
      int code = head.status().code();
      if (code >= 100 && code < 200 && code != 101) {
        return INTERIM;
      }
      boolean framed = headRequest || code == 204 || code == 304
          || HttpUtil.isContentLengthSet(head) || HttpUtil.isTransferEncodingChunked(head);
      return HttpUtil.isKeepAlive(head) && framed ? FINAL : FINAL_THEN_CLOSE;
    }

    boolean started() {
      return this == FINAL || this == FINAL_THEN_CLOSE;
    }
  }

  private final HttpFrontendHandler frontend;
  private final ChannelHandlerContext client;
  private final ConnectionTracker tracker;
  private final Dialer dialer;
  private final HttpFrontendEncoder encoder;
  private final HttpMemory memory;
  /** The first request's messages while its backend connection is being made. */
  private final List<HttpObject> whileConnecting = new ArrayList<>();
  private Channel channel;
  private String pool;
  private Runnable cancelDial;
  private boolean announced;
  /** Null when no response is owed. */
  private Exchange exchange;
  private Response response = Response.AWAITING;

  HttpBackendSide(
      HttpFrontendHandler frontend,
      ChannelHandlerContext client,
      ConnectionTracker tracker,
      Dialer dialer,
      HttpFrontendEncoder encoder,
      HttpMemory memory) {
    this.frontend = frontend;
    this.client = client;
    this.tracker = tracker;
    this.dialer = dialer;
    this.encoder = encoder;
    this.memory = memory;
  }

  /** A request was sent and its final response has not ended yet. */
  boolean awaitingResponse() {
    return exchange != null;
  }

  /** The connection already has a backend of another pool: a request for {@code pool} cannot use it. */
  boolean boundToOtherPool(String otherPool) {
    return channel != null && !otherPool.equals(pool);
  }

  boolean writable() {
    return channel != null && channel.isWritable();
  }

  Channel channel() {
    return channel;
  }

  /** Sends a request head, opening the backend connection first if there is none (phase CONNECTING). */
  void send(HttpRequest request, RouteDecision.Forward route, boolean keepAlive, boolean head, boolean webSocket) {
    exchange = new Exchange(keepAlive, head, webSocket);
    response = Response.AWAITING;
    if (channel != null) {
      channel.write(request, channel.voidPromise());
      return;
    }
    whileConnecting.add(request);
    frontend.enter(HttpFrontendHandler.Phase.CONNECTING);
    pool = route.pool();
    frontend.updateClientRead();
    cancelDial = dialer.dial(client.channel(), tracker, route, ch -> connected(ch, route), this::dialFailed);
  }

  /** Request content: held while connecting, sent once connected, dropped when the backend is gone. */
  void sendContent(HttpContent content, boolean connecting) {
    if (connecting) {
      whileConnecting.add(content);
    } else if (channel != null && channel.isActive()) {
      channel.write(content, channel.voidPromise());
    } else {
      content.release();
    }
  }

  void flush() {
    if (channel != null) {
      channel.flush();
    }
  }

  /** The backend reads only while the client can take its bytes. */
  void clientWritabilityChanged(boolean writable) {
    if (channel != null) {
      channel.config().setAutoRead(writable);
    }
  }

  /** Stops a dial in progress and closes the backend connection. */
  void close() {
    if (cancelDial != null) {
      cancelDial.run();
      cancelDial = null;
    }
    if (channel != null) {
      channel.close();
    }
  }

  /** The client is gone: a dial in progress ends as {@code client_closed}. */
  void clientInactive() {
    if (cancelDial != null) {
      tracker.fail(HttpReasons.CLIENT_CLOSED);
    }
    close();
  }

  void releasePending() {
    whileConnecting.forEach(ReferenceCountUtil::release);
    whileConnecting.clear();
  }

  private void connected(Channel backend, RouteDecision.Forward route) {
    cancelDial = null;
    if (frontend.phase() == HttpFrontendHandler.Phase.CLOSING || !client.channel().isActive()) {
      backend.close();
      frontend.releaseHeld();
      return;
    }
    frontend.enter(HttpFrontendHandler.Phase.OPEN);
    channel = backend;
    HttpDecoderConfig config =
        new HttpDecoderConfig().setMaxHeaderSize(BACKEND_MAX_HEADER_BYTES).setMaxInitialLineLength(8192);
    backend.pipeline()
        .addLast(HttpFrontend.BACKEND_BUDGET, memory.writeCounter())
        .addLast(HttpFrontend.BACKEND_CODEC, new HttpClientCodec(config, false, false))
        .addLast(HttpFrontend.BACKEND_HANDLER, new HttpBackendHandler(this));
    if (!announced) {
      announced = true;
      tracker.events().connectionForwarded(tracker.info(), route.host(), route.pool(), frontend::closeFromOutside);
    }
    for (HttpObject held : whileConnecting) {
      backend.write(held, backend.voidPromise());
    }
    whileConnecting.clear();
    backend.flush();
    backend.config().setAutoRead(client.channel().isWritable());
    frontend.afterProcessing();
  }

  private void dialFailed() {
    cancelDial = null;
    pool = null;
    releasePending();
    tracker.fail(HttpReasons.NO_BACKEND);
    frontend.respondAndClose(HttpReplies.status(HttpResponseStatus.BAD_GATEWAY, "bad gateway"));
  }

  /** A message of the backend's response stream; ownership comes with it. */
  void read(Object msg) {
    if (frontend.phase() == HttpFrontendHandler.Phase.CLOSING || !client.channel().isActive()) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpResponse head) {
      boolean switching = head.status().code() == 101;
      // Garbage, an answer nobody asked for, or a switch nobody was let ask for (the tunnel would
      // carry unchecked requests).
      if (head.decoderResult().isFailure() || exchange == null
          || (switching && !(exchange.webSocket() && HttpUpgrades.switchesToWebSocket(head)))) {
        ReferenceCountUtil.release(head);
        broken();
        return;
      }
      if (switching) {
        frontend.enter(HttpFrontendHandler.Phase.UPGRADING);
      }
      response = Response.of(head, exchange.head());
      encoder.headRequest(exchange.head());
    } else if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
      content.release();
      broken();
      return;
    }
    client.write(msg, client.voidPromise());
    if (!client.channel().isWritable()) {
      channel.config().setAutoRead(false);
    }
    if (msg instanceof LastHttpContent) {
      if (frontend.phase() == HttpFrontendHandler.Phase.UPGRADING) {
        client.flush();
        switchToTunnel();
      } else if (response == Response.INTERIM) {
        response = Response.AWAITING;
      } else {
        responseEnded();
      }
    }
  }

  private void responseEnded() {
    boolean keepAlive = exchange.keepAlive() && response == Response.FINAL;
    exchange = null;
    client.flush();
    if (!keepAlive) {
      frontend.enter(HttpFrontendHandler.Phase.CLOSING);
      frontend.releaseHeld();
      close();
      HttpReplies.closeOnFlush(client.channel());
      return;
    }
    frontend.afterProcessing();
  }

  void readComplete() {
    client.flush();
  }

  void writabilityChanged() {
    frontend.updateClientRead();
    memory.writabilityChanged(channel);
  }

  void inactive(Channel backend) {
    if (backend != channel) {
      return;
    }
    channel = null;
    pool = null;
    if (frontend.phase() == HttpFrontendHandler.Phase.CLOSING) {
      return;
    }
    if (exchange != null || frontend.forwardingBody()) {
      tracker.closeReason(HttpReasons.BACKEND_CLOSED);
      if (!response.started()) {
        frontend.respondAndClose(HttpReplies.status(HttpResponseStatus.BAD_GATEWAY, "bad gateway"));
      } else {
        frontend.enter(HttpFrontendHandler.Phase.CLOSING);
        frontend.releaseHeld();
        HttpReplies.closeOnFlush(client.channel());
      }
    }
    // else: the backend ended an idle keep-alive connection; the next request opens a new one.
  }

  void broken() {
    tracker.closeReason(HttpReasons.BACKEND_ERROR);
    if (!response.started() && exchange != null) {
      frontend.respondAndClose(HttpReplies.status(HttpResponseStatus.BAD_GATEWAY, "bad gateway"));
    } else {
      frontend.closeBoth();
    }
  }

  private void switchToTunnel() {
    frontend.leaveForTunnel();
    memory.unstalled(); // from here the relay counts and sheds
    HttpTunnel.install(client.channel(), channel, frontend, tracker, frontend.clientInputShut());
  }
}
