package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** The answers the HTTP listener gives itself (refusals, 502, redirects) and how it closes after one. */
final class HttpReplies {
  /** How long a closing connection keeps reading (and dropping) so that its last answer arrives. */
  static final long LINGER_MILLIS = 2000;

  /** A short plain-text answer that ends the connection. */
  static FullHttpResponse status(HttpResponseStatus status, String text) {
    ByteBuf content = Unpooled.copiedBuffer(text + "\n", StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
        .set(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes())
        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return response;
  }

  /**
   * Whether the connection stays open after redirecting {@code request}: not when the client said
   * close or half-closed, nor when it waits for a 100-continue before a body we would have to skip
   * (it may never send it).
   */
  static boolean redirectKeepsAlive(HttpRequest request, boolean clientInputShut) {
    boolean hasBody = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
    return HttpUtil.isKeepAlive(request) && !clientInputShut && !(HttpUtil.is100ContinueExpected(request) && hasBody);
  }

  /** {@code 308} to https, empty body; an HTTP/1.0 client kept alive is told so. */
  static FullHttpResponse redirect(HttpRequest request, String host, String path, boolean keepAlive) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.PERMANENT_REDIRECT);
    response.headers()
        .set(HttpHeaderNames.LOCATION, HttpHostCheck.redirectLocation(host, path))
        .set(HttpHeaderNames.CONTENT_LENGTH, 0);
    if (keepAlive && request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    return response;
  }

  /**
   * Sends a last answer, then closes. Closing at once with unread request bytes in the socket
   * makes the kernel send a reset, and the client may lose the answer: once it is written, shut
   * our side, drop what still comes (the caller's handler drops reads), close on the client's FIN
   * or after {@link #LINGER_MILLIS}.
   *
   * @param clientInputShut asked once the answer is written: whether the client already sent its FIN
   */
  static void sendLast(Channel channel, FullHttpResponse response, BooleanSupplier clientInputShut) {
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    channel.writeAndFlush(response)
        .addListener((ChannelFutureListener) f -> lingerThenClose(channel, f.isSuccess(), clientInputShut));
  }

  private static void lingerThenClose(Channel channel, boolean written, BooleanSupplier clientInputShut) {
    if (!written || !(channel instanceof DuplexChannel duplex) || !channel.isActive() || clientInputShut.getAsBoolean()) {
      channel.close();
      return;
    }
    duplex.shutdownOutput();
    channel.eventLoop().schedule(() -> { channel.close(); }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
    channel.config().setAutoRead(true);
  }

  /** Closes once everything written so far is flushed. */
  static void closeOnFlush(Channel channel) {
    if (channel.isActive()) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else {
      channel.close();
    }
  }

  private HttpReplies() {}
}
