package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** The one TLS record we ever write ourselves. */
final class TlsAlerts {
  /**
   * A fatal (2) {@code unrecognized_name} (112) alert in a TLS 1.2-versioned record: {@code 15 03 03
   * 00 02 02 70}. Sent in plaintext, as a server does before any keys exist.
   */
  private static final ByteBuf UNRECOGNIZED_NAME =
      Unpooled.unreleasableBuffer(
          Unpooled.wrappedBuffer(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70}).asReadOnly());

  /** A fresh view each time: the shared bytes are never consumed nor released. */
  static ByteBuf unrecognizedName() {
    return UNRECOGNIZED_NAME.duplicate();
  }

  private TlsAlerts() {}
}
