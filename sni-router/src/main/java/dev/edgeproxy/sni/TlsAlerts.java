package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/** The only TLS records we ever write ourselves: fatal alerts sent before closing a connection. */
final class TlsAlerts {
  /** The alerts we send, by their RFC 8446 6.2 description codes. */
  enum Alert {
    /** 50: the hello is TLS but a length or field is out of bounds (truncated, trailing bytes). */
    DECODE_ERROR(50),
    /** 112: the hello names a host we do not serve. */
    UNRECOGNIZED_NAME(112);

    /**
     * A fatal (2) alert in a TLS 1.2-versioned record: {@code 15 03 03 00 02 02 <code>}. Sent in
     * plaintext, as a server does before any keys exist.
     */
    private final ByteBuf record;

    Alert(int code) {
      this.record =
          Unpooled.unreleasableBuffer(
              Unpooled.wrappedBuffer(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, (byte) code})
                  .asReadOnly());
    }

    /** A fresh view each time: the shared bytes are never consumed nor released. */
    ByteBuf record() {
      return record.duplicate();
    }
  }

  static ByteBuf unrecognizedName() {
    return Alert.UNRECOGNIZED_NAME.record();
  }

  static ByteBuf decodeError() {
    return Alert.DECODE_ERROR.record();
  }

  private TlsAlerts() {}
}
