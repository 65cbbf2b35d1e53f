package dev.edgeproxy.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The bearer token check of {@code POST /sync}. */
final class AdminAuth {
  private static final String BEARER = "bearer ";

  private AdminAuth() {}

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
