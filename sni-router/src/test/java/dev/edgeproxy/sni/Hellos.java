package dev.edgeproxy.sni;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/** Real and hand-built ClientHello bytes for tests. */
final class Hellos {

  /** A committed JDK 17 hello (see src/test/resources/hellos/README.md): the same bytes every run. */
  static byte[] fixture(String name) {
    try (java.io.InputStream in = Hellos.class.getResourceAsStream("/hellos/" + name)) {
      return hex(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The first flight of the JDK's own TLS client, as it would go on the wire. */
  static byte[] jdk(String protocol, String sni, String... alpn) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, null, null);
      SSLEngine engine = sni != null ? context.createSSLEngine(sni, 443) : context.createSSLEngine();
      engine.setUseClientMode(true);
      SSLParameters params = engine.getSSLParameters();
      params.setProtocols(new String[] {protocol});
      if (sni != null) {
        params.setServerNames(List.of(new SNIHostName(sni)));
      }
      if (alpn.length > 0) {
        params.setApplicationProtocols(alpn);
      }
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
   * A Chrome-style TLS 1.3 hello: GREASE, X25519MLKEM768 (0x11ec, 1216-byte share) plus X25519
   * key shares, SNI, ALPN h2/http1.1, and optionally an ECH extension. Over 1.5 KB.
   */
  static byte[] chromeLike(String sni, boolean ech) {
    Random random = new Random(42);
    ByteArrayOutputStream exts = new ByteArrayOutputStream();
    ext(exts, 0x0a0a, new byte[0]); // GREASE
    if (sni != null) {
      byte[] name = sni.getBytes(StandardCharsets.US_ASCII);
      ext(exts, 0x0000, u16(concat(new byte[] {0}, u16(name))));
    }
    ext(exts, 0x0017, new byte[0]); // extended_master_secret
    ext(exts, 0xff01, new byte[] {0}); // renegotiation_info
    ext(exts, 0x000a, u16(new byte[] {0x3a, 0x3a, 0x11, (byte) 0xec, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18}));
    ext(exts, 0x000b, new byte[] {1, 0}); // ec_point_formats
    ext(exts, 0x0023, new byte[0]); // session_ticket
    ext(exts, 0x0010, u16(concat(u8("h2"), u8("http/1.1"))));
    ext(exts, 0x0005, new byte[] {1, 0, 0, 0, 0}); // status_request
    ext(exts, 0x000d, u16(new byte[] {0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03}));
    ext(exts, 0x0012, new byte[0]); // signed_certificate_timestamp
    byte[] mlkem = new byte[1216];
    random.nextBytes(mlkem);
    byte[] x25519 = new byte[32];
    random.nextBytes(x25519);
    byte[] shares =
        concat(
            new byte[] {0x3a, 0x3a, 0, 1, 0},
            new byte[] {0x11, (byte) 0xec}, u16(mlkem),
            new byte[] {0x00, 0x1d}, u16(x25519));
    ext(exts, 0x0033, u16(shares)); // key_share
    ext(exts, 0x002d, new byte[] {1, 1}); // psk_key_exchange_modes
    ext(exts, 0x002b, new byte[] {6, 0x2a, 0x2a, 3, 4, 3, 3}); // supported_versions
    ext(exts, 0x001b, new byte[] {2, 0, 2}); // compress_certificate
    ext(exts, 0x4469, new byte[] {0, 3, 2, 'h', '2'}); // application_settings
    if (ech) {
      byte[] payload = new byte[200];
      random.nextBytes(payload);
      // outer ECH: type 0, kdf/aead, config id, enc, payload
      ext(exts, 0xfe0d, concat(new byte[] {0, 0, 1, 0, 1, 0x42}, u16(new byte[32]), u16(payload)));
    }
    ext(exts, 0x1a1a, new byte[] {0}); // GREASE
    byte[] rnd = new byte[32];
    random.nextBytes(rnd);
    byte[] sessionId = new byte[32];
    random.nextBytes(sessionId);
    byte[] suites = {0x4a, 0x4a, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03, (byte) 0xc0, 0x2b, (byte) 0xc0, 0x2f};
    byte[] body =
        concat(
            new byte[] {3, 3}, rnd, u8(sessionId), u16(suites), new byte[] {1, 0}, u16(exts.toByteArray()));
    return records(handshake(body), 16384);
  }

  /** Handshake header (type 1, 24-bit length) + body. */
  static byte[] handshake(byte[] body) {
    return concat(new byte[] {1, (byte) (body.length >>> 16), (byte) (body.length >>> 8), (byte) body.length}, body);
  }

  /** The handshake message(s) carried by a stream of records (record headers removed). */
  static byte[] unframe(byte[] stream) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int p = 0;
    while (p + 5 <= stream.length) {
      int len = (stream[p + 3] & 0xff) << 8 | stream[p + 4] & 0xff;
      out.write(stream, p + 5, len);
      p += 5 + len;
    }
    return out.toByteArray();
  }

  /** Frames a handshake message into records of at most {@code size} bytes. */
  static byte[] records(byte[] message, int size) {
    return records(message, new int[] {size});
  }

  /** Frames into records whose sizes cycle through {@code sizes}. */
  static byte[] records(byte[] message, int[] sizes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int p = 0;
    int i = 0;
    while (p < message.length) {
      int n = Math.min(sizes[i++ % sizes.length], message.length - p);
      out.write(new byte[] {22, 3, 1, (byte) (n >>> 8), (byte) n}, 0, 5);
      out.write(message, p, n);
      p += n;
    }
    return out.toByteArray();
  }

  static int recordCount(byte[] stream) {
    int count = 0;
    int p = 0;
    while (p + 5 <= stream.length) {
      p += 5 + ((stream[p + 3] & 0xff) << 8 | stream[p + 4] & 0xff);
      count++;
    }
    return count;
  }

  /**
   * Offsets (in a single-record hello) of every length field: {offset, width in bytes, 1 when it is
   * an extension's own length field else 0}.
   */
  static List<int[]> lengthFields(byte[] hello) {
    List<int[]> fields = new ArrayList<>();
    fields.add(new int[] {3, 2, 0}); // record length
    fields.add(new int[] {6, 3, 0}); // handshake length
    int p = 5 + 4 + 2 + 32;
    fields.add(new int[] {p, 1, 0}); // session id
    p += 1 + (hello[p] & 0xff);
    fields.add(new int[] {p, 2, 0}); // cipher suites
    p += 2 + u16(hello, p);
    fields.add(new int[] {p, 1, 0}); // compression methods
    p += 1 + (hello[p] & 0xff);
    fields.add(new int[] {p, 2, 0}); // extensions block
    int end = p + 2 + u16(hello, p);
    p += 2;
    while (p < end) {
      int type = u16(hello, p);
      int len = u16(hello, p + 2);
      fields.add(new int[] {p + 2, 2, 1});
      int data = p + 4;
      if (type == 0) {
        fields.add(new int[] {data, 2, 0}); // server_name_list
        fields.add(new int[] {data + 3, 2, 0}); // host_name
      } else if (type == 16) {
        fields.add(new int[] {data, 2, 0}); // protocol_name_list
        fields.add(new int[] {data + 2, 1, 0}); // first protocol name
      }
      p = data + len;
    }
    return fields;
  }

  static int u16(byte[] b, int p) {
    return (b[p] & 0xff) << 8 | b[p + 1] & 0xff;
  }

  static void ext(ByteArrayOutputStream out, int type, byte[] data) {
    out.write(type >>> 8);
    out.write(type);
    out.write(data.length >>> 8);
    out.write(data.length);
    out.write(data, 0, data.length);
  }

  static byte[] u8(String s) {
    return u8(s.getBytes(StandardCharsets.US_ASCII));
  }

  static byte[] u8(byte[] b) {
    return concat(new byte[] {(byte) b.length}, b);
  }

  static byte[] u16(byte[] b) {
    return concat(new byte[] {(byte) (b.length >>> 8), (byte) b.length}, b);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.write(part, 0, part.length);
    }
    return out.toByteArray();
  }

  static byte[] hex(String hex) {
    String clean = hex.replaceAll("\\s+", "");
    byte[] out = new byte[clean.length() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) Integer.parseInt(clean.substring(2 * i, 2 * i + 2), 16);
    }
    return out;
  }

  static byte[] prefix(byte[] b, int n) {
    return Arrays.copyOf(b, n);
  }

  private Hellos() {}
}
