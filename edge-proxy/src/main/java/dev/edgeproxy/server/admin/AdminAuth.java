package dev.edgeproxy.server.admin;

import dev.edgeproxy.config.AdminListenerConfig;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The bearer token check of {@code POST /sync} and {@code POST /drain}. */
final class AdminAuth {
  private static final Logger log = LoggerFactory.getLogger(AdminAuth.class);
  private static final String BEARER = "bearer ";

  private AdminAuth() {}

  /** Why a POST to {@code path} that needs the sync token is refused, or empty when it carries the token. */
  static Optional<AdminReply> refusal(
      AdminListenerConfig config, FullHttpRequest req, InetAddress client, String path) {
    Optional<String> token = config.syncToken();
    if (token.isEmpty() || token.get().isEmpty()) {
      log.warn("admin: refused POST {} from {}: no syncToken configured", path, client.getHostAddress());
      return Optional.of(
          AdminReply.error(
              HttpResponseStatus.FORBIDDEN,
              "POST " + path + " is disabled: listeners.admin.syncToken is not set"));
    }
    String authorization = req.headers().get(HttpHeaderNames.AUTHORIZATION);
    if (!bearerMatches(authorization, token.get())) {
      log.warn(
          "admin: refused POST {} from {}: {}",
          path,
          client.getHostAddress(),
          authorization == null ? "no Authorization header" : "wrong bearer token");
      return Optional.of(
          AdminReply.error(HttpResponseStatus.UNAUTHORIZED, "a valid bearer token is required")
              .withHeader(HttpHeaderNames.WWW_AUTHENTICATE.toString(), "Bearer realm=\"edge-proxy\""));
    }
    return Optional.empty();
  }

  /** True when the query has {@code name} bare or {@code name=true}. */
  static boolean flag(QueryStringDecoder query, String name) {
    return query.parameters().getOrDefault(name, List.of()).stream()
        .anyMatch(v -> v.isEmpty() || v.equalsIgnoreCase("true"));
  }

  /**
   * True when {@code authorization} is {@code Bearer <token>} with the expected token. Both sides
   * are hashed first, so the comparison takes the same time whatever the given token's content
   * and length.
   */
  static boolean bearerMatches(String authorization, String expected) {
    if (authorization == null || expected == null || expected.isEmpty()) {
      return false;
    }
    String value = authorization.strip();
    if (!value.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return false;
    }
    String given = value.substring(BEARER.length()).strip();
    return MessageDigest.isEqual(sha256(given), sha256(expected));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
