package dev.edgeproxy.server.warmup;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The canned bytes of a warm-up connection, shaped like a TLS 1.3 connection with one request on
 * it: a ClientHello like a current browser's or h2load's (SNI, ALPN, key share), so the peek parses
 * the extensions it parses all day; the server's first flight; the client's finish and request;
 * the response. The relay then moves what real connections move, in both directions. No TLS
 * library is loaded for it: these are record-shaped bytes, and nobody decrypts them.
 */
final class WarmUpHello {
  private static final int RECORD_HANDSHAKE = 22;
  private static final int RECORD_APPLICATION_DATA = 23;
  private static final int[] CIPHER_SUITES = {0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030};

  private WarmUpHello() {}

  /** What each side sends in turn: the client first, each side waiting for the other's bytes. */
  record Exchange(List<byte[]> clientSends, List<byte[]> serverReplies) {
    Exchange {
      clientSends = List.copyOf(clientSends);
      serverReplies = List.copyOf(serverReplies);
      if (clientSends.size() != serverReplies.size()) {
        throw new IllegalArgumentException("one server reply per client message");
      }
    }
  }

  /** A handshake and one request: hello, server flight, client finish + request, response. */
  static Exchange exchange(String serverName) {
    return new Exchange(
        List.of(clientHello(serverName), concat(applicationData(1), applicationData(69), applicationData(120))),
        List.of(
            concat(handshake(122), applicationData(1), applicationData(1_200), applicationData(90)),
            concat(applicationData(180), applicationData(19))));
  }

  private static byte[] handshake(int length) {
    byte[] record = applicationData(length);
    record[0] = RECORD_HANDSHAKE;
    return record;
  }

  private static byte[] concat(byte[]... parts) {
    int total = 0;
    for (byte[] p : parts) {
      total += p.length;
    }
    byte[] out = new byte[total];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /** A complete ClientHello in one record, asking for {@code serverName}. */
  static byte[] clientHello(String serverName) {
    byte[] name = serverName.getBytes(StandardCharsets.US_ASCII);
    ByteBuf b = Unpooled.buffer(512);
    try {
      b.writeByte(RECORD_HANDSHAKE).writeShort(0x0301);
      int recordLength = lengthMark(b, 2);
      b.writeByte(1); // client_hello
      int helloLength = lengthMark(b, 3);
      b.writeShort(0x0303);
      fill(b, 32, 0x5a); // random
      b.writeByte(32);
      fill(b, 32, 0x3c); // legacy session id
      b.writeShort(CIPHER_SUITES.length * 2);
      for (int suite : CIPHER_SUITES) {
        b.writeShort(suite);
      }
      b.writeByte(1).writeByte(0); // compression: null
      int extensions = lengthMark(b, 2);
      serverName(b, name);
      extension(b, 10, new int[] {0x001d, 0x0017, 0x0018}, true); // supported_groups
      extension(b, 13, new int[] {0x0403, 0x0804, 0x0401, 0x0503, 0x0805}, true); // signature_algorithms
      alpn(b);
      b.writeShort(43).writeShort(5).writeByte(4).writeShort(0x0304).writeShort(0x0303); // supported_versions
      b.writeShort(51).writeShort(38).writeShort(36).writeShort(0x001d).writeShort(32); // key_share
      fill(b, 32, 0x77);
      closeLength(b, extensions, 2);
      closeLength(b, helloLength, 3);
      closeLength(b, recordLength, 2);
      byte[] out = new byte[b.readableBytes()];
      b.readBytes(out);
      return out;
    } finally {
      b.release();
    }
  }

  /** An application-data record of {@code length} payload bytes (what follows a handshake). */
  static byte[] applicationData(int length) {
    byte[] out = new byte[5 + length];
    out[0] = RECORD_APPLICATION_DATA;
    out[1] = 3;
    out[2] = 3;
    out[3] = (byte) (length >>> 8);
    out[4] = (byte) length;
    for (int i = 5; i < out.length; i++) {
      out[i] = (byte) (i * 31);
    }
    return out;
  }

  private static void serverName(ByteBuf b, byte[] name) {
    b.writeShort(0).writeShort(name.length + 5).writeShort(name.length + 3);
    b.writeByte(0).writeShort(name.length).writeBytes(name);
  }

  private static void alpn(ByteBuf b) {
    byte[] h2 = "h2".getBytes(StandardCharsets.US_ASCII);
    byte[] h1 = "http/1.1".getBytes(StandardCharsets.US_ASCII);
    int list = 2 + h2.length + h1.length;
    b.writeShort(16).writeShort(list + 2).writeShort(list);
    b.writeByte(h2.length).writeBytes(h2).writeByte(h1.length).writeBytes(h1);
  }

  private static void extension(ByteBuf b, int type, int[] values, boolean listLength) {
    b.writeShort(type).writeShort(values.length * 2 + (listLength ? 2 : 0));
    if (listLength) {
      b.writeShort(values.length * 2);
    }
    for (int v : values) {
      b.writeShort(v);
    }
  }

  private static void fill(ByteBuf b, int count, int value) {
    for (int i = 0; i < count; i++) {
      b.writeByte(value + i);
    }
  }

  private static int lengthMark(ByteBuf b, int width) {
    int at = b.writerIndex();
    b.writeZero(width);
    return at;
  }

  private static void closeLength(ByteBuf b, int at, int width) {
    int length = b.writerIndex() - at - width;
    if (width == 3) {
      b.setMedium(at, length);
    } else {
      b.setShort(at, length);
    }
  }
}
