package dev.edgeproxy.server.admin;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One admin answer before it becomes a Netty response. Owns {@code body} until written (the
 * writer releases it when the channel is gone).
 */
record AdminReply(
    HttpResponseStatus status, String contentType, ByteBuf body, Map<String, String> headers) {
  static final String JSON = "application/json; charset=utf-8";
  static final String TEXT = "text/plain; charset=utf-8";

  static AdminReply text(HttpResponseStatus status, String text) {
    return new AdminReply(status, TEXT, utf8(text), Map.of());
  }

  static AdminReply json(HttpResponseStatus status, Object value) {
    return new AdminReply(status, JSON, utf8(Json.write(value) + "\n"), Map.of());
  }

  /** {@code {"error": message}} */
  static AdminReply error(HttpResponseStatus status, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", message);
    return json(status, body);
  }

  AdminReply withHeader(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put(name, value);
    return new AdminReply(status, contentType, body, h);
  }

  private static ByteBuf utf8(String s) {
    return Unpooled.wrappedBuffer(s.getBytes(StandardCharsets.UTF_8));
  }
}
