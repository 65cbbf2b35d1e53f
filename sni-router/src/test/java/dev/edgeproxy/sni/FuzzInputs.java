package dev.edgeproxy.sni;

import java.util.Arrays;

/** Shared decoding of the small headers our fuzz inputs start with. */
final class FuzzInputs {
  /** The bounds a hello may be held to: the smallest allowed, a tight one, the default, a large one. */
  // from the smallest cap the settings accept (a PQ hello is then oversize) to well above real hellos
  private static final int[] HELLO_BOUNDS = {
    TlsFrontendSettings.MIN_CLIENT_HELLO_BYTES, 1024, 16384, 65536
  };

  private FuzzInputs() {}

  static int helloBound(byte selector) {
    return HELLO_BOUNDS[(selector & 0xff) % HELLO_BOUNDS.length];
  }

  static byte[] tail(byte[] input, int from) {
    return Arrays.copyOfRange(input, Math.min(from, input.length), input.length);
  }

  /** Read sizes from a seed byte: 1..256, or a varying pattern so one input is split unevenly. */
  static int chunk(byte seed, int index) {
    int base = 1 + (seed & 0x7f);
    return (seed & 0x80) == 0 ? base : 1 + (base * (index + 7)) % 97;
  }
}
