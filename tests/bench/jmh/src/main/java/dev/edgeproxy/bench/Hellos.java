package dev.edgeproxy.bench;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/** ClientHello bytes for the benchmarks, built the way sni-router's own tests build them. */
final class Hellos {

  /** The JDK's own TLS 1.3 client hello with SNI and ALPN: a typical small (~500 B) hello. */
  static byte[] jdk(String sni) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, null, null);
      SSLEngine engine = context.createSSLEngine(sni, 443);
      engine.setUseClientMode(true);
      SSLParameters params = engine.getSSLParameters();
      params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
      params.setServerNames(List.of(new SNIHostName(sni)));
      params.setApplicationProtocols(new String[] {"h2", "http/1.1"});
      engine.setSSLParameters(params);
      ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
      engine.beginHandshake();
      engine.wrap(ByteBuffer.allocate(0), out);
      out.flip();
      byte[] bytes = new byte[out.remaining()];
      out.get(bytes);
      return bytes;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The handshake message of a Chrome-style post-quantum hello: GREASE, an X25519MLKEM768 key share
   * (1216 bytes) plus X25519, SNI, ALPN and the usual extensions; about 1.8 KB.
   */
  static byte[] chromeLikeMessage(String sni) {
    Random random = new Random(42);
    ByteArrayOutputStream exts = new ByteArrayOutputStream();
    ext(exts, 0x0a0a, new byte[0]);
    byte[] name = sni.getBytes(StandardCharsets.US_ASCII);
    ext(exts, 0x0000, u16(concat(new byte[] {0}, u16(name))));
    ext(exts, 0x0017, new byte[0]);
    ext(exts, 0xff01, new byte[] {0});
    ext(exts, 0x000a, u16(new byte[] {0x3a, 0x3a, 0x11, (byte) 0xec, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18}));
    ext(exts, 0x000b, new byte[] {1, 0});
    ext(exts, 0x0023, new byte[0]);
    ext(exts, 0x0010, u16(concat(u8("h2"), u8("http/1.1"))));
    ext(exts, 0x0005, new byte[] {1, 0, 0, 0, 0});
    ext(exts, 0x000d, u16(new byte[] {0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03}));
    ext(exts, 0x0012, new byte[0]);
    byte[] mlkem = new byte[1216];
    random.nextBytes(mlkem);
    byte[] x25519 = new byte[32];
    random.nextBytes(x25519);
    byte[] shares = concat(new byte[] {0x3a, 0x3a, 0, 1, 0}, new byte[] {0x11, (byte) 0xec}, u16(mlkem),
        new byte[] {0x00, 0x1d}, u16(x25519));
    ext(exts, 0x0033, u16(shares));
    ext(exts, 0x002d, new byte[] {1, 1});
    ext(exts, 0x002b, new byte[] {6, 0x2a, 0x2a, 3, 4, 3, 3});
    ext(exts, 0x001b, new byte[] {2, 0, 2});
    ext(exts, 0x4469, new byte[] {0, 3, 2, 'h', '2'});
    ext(exts, 0x1a1a, new byte[] {0});
    byte[] rnd = new byte[32];
    random.nextBytes(rnd);
    byte[] sessionId = new byte[32];
    random.nextBytes(sessionId);
    byte[] suites = {0x4a, 0x4a, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03, (byte) 0xc0, 0x2b, (byte) 0xc0, 0x2f};
    byte[] body = concat(new byte[] {3, 3}, rnd, u8(sessionId), u16(suites), new byte[] {1, 0},
        u16(exts.toByteArray()));
    return concat(new byte[] {1, (byte) (body.length >>> 16), (byte) (body.length >>> 8), (byte) body.length}, body);
  }

  /** Frames a handshake message into TLS records of at most {@code size} bytes each. */
  static byte[] records(byte[] message, int size) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int p = 0; p < message.length; p += size) {
      int n = Math.min(size, message.length - p);
      out.write(new byte[] {22, 3, 1, (byte) (n >>> 8), (byte) n}, 0, 5);
      out.write(message, p, n);
    }
    return out.toByteArray();
  }

  private static void ext(ByteArrayOutputStream out, int type, byte[] data) {
    out.write(type >>> 8);
    out.write(type);
    out.write(data.length >>> 8);
    out.write(data.length);
    out.write(data, 0, data.length);
  }

  private static byte[] u8(String s) {
    return u8(s.getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] u8(byte[] b) {
    return concat(new byte[] {(byte) b.length}, b);
  }

  private static byte[] u16(byte[] b) {
    return concat(new byte[] {(byte) (b.length >>> 8), (byte) b.length}, b);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.write(part, 0, part.length);
    }
    return out.toByteArray();
  }

  private Hellos() {}
}
