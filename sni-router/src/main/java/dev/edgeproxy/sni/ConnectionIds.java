package dev.edgeproxy.sni;

import java.util.concurrent.ThreadLocalRandom;

/** Connection ids: 16 lower-case hex digits of a random 64-bit value, short and grep-friendly. */
public final class ConnectionIds {
  /**
   * A new id. Not a secret (it is sent to backends); 64 random bits make a collision among the
   * connections of any realistic log window negligible.
   */
  public static String next() {
    String hex = Long.toHexString(ThreadLocalRandom.current().nextLong());
    return "0".repeat(16 - hex.length()) + hex;
  }

  private ConnectionIds() {}
}
