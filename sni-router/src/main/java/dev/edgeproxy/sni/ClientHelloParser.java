package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A strict, incremental parser of the first TLS ClientHello on a connection.
 *
 * <p>Feed {@link #parse(ByteBuf)} the bytes accumulated so far, always the same growing buffer
 * content starting at the connection's first byte. It reads with absolute {@code get*} only and
 * never moves the buffer's indexes. It reassembles a ClientHello split over any number of reads and
 * over several TLS records (records of type handshake only), keeps what it has already validated
 * between calls and returns at once while fewer bytes than it needs next have arrived.
 *
 * <p>Anything that is not exactly a well-formed ClientHello is an {@link Status#ERROR}, never a
 * hello without a server name: a malformed hello must not be routed like a hello without SNI. The
 * outcomes are sticky: once COMPLETE or ERROR, every later call returns the same result.
 *
 * <p>Not thread-safe: one instance per connection, used on its event loop.
 */
public final class ClientHelloParser {

  /** The three outcomes of {@link #parse(ByteBuf)}. */
  public enum Status {
    NEED_MORE,
    COMPLETE,
    ERROR
  }

  /**
   * One parse outcome.
   *
   * @param status what happened
   * @param hello the parsed hello when COMPLETE, else null
   * @param error {@link Reason#NOT_TLS} (the first byte is not a TLS handshake record), {@link
   *     Reason#MALFORMED} (a record or field is not what a ClientHello allows) or {@link
   *     Reason#TOO_LARGE} (more than {@code maxClientHelloBytes}, record headers included) when
   *     ERROR, else null
   */
  public record Result(Status status, ClientHelloInfo hello, Reason error) {
    static final Result NEED_MORE = new Result(Status.NEED_MORE, null, null);

    static Result error(Reason reason) {
      return new Result(Status.ERROR, null, reason);
    }
  }

  static final int CONTENT_TYPE_HANDSHAKE = 22;
  static final int HANDSHAKE_TYPE_CLIENT_HELLO = 1;
  static final int RECORD_HEADER_LENGTH = 5;
  /** RFC 8446 5.1: a plaintext fragment MUST NOT exceed 2^14 bytes. */
  static final int MAX_RECORD_LENGTH = 1 << 14;
  static final int EXT_SERVER_NAME = 0;
  static final int EXT_ALPN = 16;
  static final int EXT_ENCRYPTED_CLIENT_HELLO = 0xfe0d;
  /** legacy_version, random, empty session id, one cipher suite, one compression method. */
  private static final int MIN_HELLO_BODY = 2 + 32 + 1 + 2 + 2 + 1 + 1;

  private final int maxClientHelloBytes;

  /** Start of the next unread record, relative to the first byte of the stream. */
  private int offset;
  /** Calls with fewer bytes than this return NEED_MORE without looking at them. */
  private int needed = 1;
  private int records;
  /** The 4-byte handshake header, which may itself be split over records. */
  private final byte[] handshakeHeader = new byte[4];
  private int handshakeHeaderFilled;
  private int helloLength = -1;
  /** The hello body, only when it spans records (a hello in one record is parsed in place). */
  private byte[] body;
  private int bodyFilled;
  private Result outcome;

  /**
   * @param maxClientHelloBytes the most bytes the hello may occupy, record headers included
   */
  public ClientHelloParser(int maxClientHelloBytes) {
    if (maxClientHelloBytes < RECORD_HEADER_LENGTH + 4 + MIN_HELLO_BODY) {
      throw new IllegalArgumentException("maxClientHelloBytes too small: " + maxClientHelloBytes);
    }
    this.maxClientHelloBytes = maxClientHelloBytes;
  }

  /**
   * Parses as far as the bytes allow.
   *
   * @param in every byte received so far, from {@code in.readerIndex()}; its indexes are not moved
   */
  public Result parse(ByteBuf in) {
    Objects.requireNonNull(in, "in");
    if (outcome != null) {
      return outcome;
    }
    final int base = in.readerIndex();
    final int available = in.readableBytes();
    if (available < needed) {
      return Result.NEED_MORE;
    }
    // Reject non-TLS as soon as its first byte is in, so plain HTTP never waits for a timeout.
    if (offset == 0 && in.getUnsignedByte(base) != CONTENT_TYPE_HANDSHAKE) {
      return finish(Result.error(Reason.NOT_TLS));
    }
    while (true) {
      if (available - offset < RECORD_HEADER_LENGTH) {
        needed = offset + RECORD_HEADER_LENGTH;
        return Result.NEED_MORE;
      }
      final int header = base + offset;
      if (in.getUnsignedByte(header) != CONTENT_TYPE_HANDSHAKE || in.getUnsignedByte(header + 1) != 3) {
        return finish(Result.error(Reason.MALFORMED));
      }
      final int fragmentLength = in.getUnsignedShort(header + 3);
      // Zero-length handshake fragments are forbidden (RFC 8446 5.1); skipping them would let a
      // client make us buffer without bound, so they fail like Netty's SslClientHelloHandler does.
      if (fragmentLength == 0 || fragmentLength > MAX_RECORD_LENGTH) {
        return finish(Result.error(Reason.MALFORMED));
      }
      final int recordEnd = offset + RECORD_HEADER_LENGTH + fragmentLength;
      if (recordEnd > maxClientHelloBytes) {
        return finish(Result.error(Reason.TOO_LARGE));
      }
      if (recordEnd > available) {
        needed = recordEnd;
        return Result.NEED_MORE;
      }
      records++;
      Result result = consumeFragment(in, header + RECORD_HEADER_LENGTH, fragmentLength, recordEnd);
      offset = recordEnd;
      if (result != null) {
        return result;
      }
    }
  }

  /** Takes one record's fragment into the hello; returns null when the next record is needed. */
  private Result consumeFragment(ByteBuf in, int start, int length, int recordEnd) {
    int p = start;
    final int end = start + length;
    if (helloLength < 0) {
      while (handshakeHeaderFilled < 4 && p < end) {
        handshakeHeader[handshakeHeaderFilled++] = in.getByte(p++);
      }
      if (handshakeHeaderFilled < 4) {
        return null;
      }
      if ((handshakeHeader[0] & 0xff) != HANDSHAKE_TYPE_CLIENT_HELLO) {
        return finish(Result.error(Reason.MALFORMED));
      }
      helloLength =
          (handshakeHeader[1] & 0xff) << 16 | (handshakeHeader[2] & 0xff) << 8 | handshakeHeader[3] & 0xff;
      if (helloLength < MIN_HELLO_BODY) {
        return finish(Result.error(Reason.MALFORMED));
      }
      if (end - p >= helloLength) {
        // The common case: the whole hello is in this record, parse it where it lies.
        if (end - p > helloLength) {
          return finish(Result.error(Reason.MALFORMED)); // nothing may follow the hello in its record
        }
        return finish(complete(in, p, helloLength, recordEnd));
      }
      if (exceedsCap(recordEnd, helloLength - (end - p))) {
        return finish(Result.error(Reason.TOO_LARGE));
      }
      body = new byte[helloLength];
    }
    final int n = Math.min(end - p, helloLength - bodyFilled);
    in.getBytes(p, body, bodyFilled, n);
    bodyFilled += n;
    p += n;
    if (p != end) {
      return finish(Result.error(Reason.MALFORMED));
    }
    if (bodyFilled == helloLength) {
      return finish(complete(Unpooled.wrappedBuffer(body), 0, helloLength, recordEnd));
    }
    return exceedsCap(recordEnd, helloLength - bodyFilled) ? finish(Result.error(Reason.TOO_LARGE)) : null;
  }

  /** Whether the hello cannot fit the cap: its missing bytes need at least one header per record. */
  private boolean exceedsCap(int consumed, int missing) {
    long records = (missing + (long) MAX_RECORD_LENGTH - 1) / MAX_RECORD_LENGTH;
    return consumed + missing + records * RECORD_HEADER_LENGTH > maxClientHelloBytes;
  }

  private Result finish(Result result) {
    outcome = result;
    body = null;
    return result;
  }

  private Result complete(ByteBuf in, int start, int length, int consumed) {
    ClientHelloInfo info = parseHello(in, start, length, consumed, records);
    return info == null ? Result.error(Reason.MALFORMED) : new Result(Status.COMPLETE, info, null);
  }

  /**
   * Parses a ClientHello body (RFC 8446 4.1.2); null when any field is out of bounds.
   *
   * <pre>
   * legacy_version(2) random(32) legacy_session_id&lt;0..32&gt; cipher_suites&lt;2..2^16-2&gt;
   * legacy_compression_methods&lt;1..2^8-1&gt; extensions&lt;8..2^16-1&gt; (absent in old TLS 1.2 hellos)
   * </pre>
   */
  static ClientHelloInfo parseHello(ByteBuf in, int start, int length, int consumed, int records) {
    int p = start;
    final int end = start + length;
    if (length < MIN_HELLO_BODY || in.getUnsignedByte(p) != 3) {
      return null;
    }
    p += 2 + 32;
    final int sessionIdLength = in.getUnsignedByte(p++);
    if (sessionIdLength > 32 || end - p < sessionIdLength) {
      return null;
    }
    p += sessionIdLength;
    if (end - p < 2) {
      return null;
    }
    final int cipherSuitesLength = in.getUnsignedShort(p);
    p += 2;
    if (cipherSuitesLength < 2 || (cipherSuitesLength & 1) != 0 || end - p < cipherSuitesLength) {
      return null;
    }
    p += cipherSuitesLength;
    if (end - p < 1) {
      return null;
    }
    final int compressionLength = in.getUnsignedByte(p++);
    if (compressionLength < 1 || end - p < compressionLength) {
      return null;
    }
    // RFC 5246 7.4.1.2: the list MUST contain null (0); the only other registered methods are
    // DEFLATE (1) and LZS (64). Checking them makes a mis-sized cipher suite list far less likely to
    // pass as a hello that simply ends early (without extensions, thus without SNI).
    boolean hasNull = false;
    for (int i = 0; i < compressionLength; i++) {
      final int method = in.getUnsignedByte(p + i);
      if (method != 0 && method != 1 && method != 64) {
        return null;
      }
      hasNull |= method == 0;
    }
    if (!hasNull) {
      return null;
    }
    p += compressionLength;
    String serverName = null;
    List<String> alpn = List.of();
    boolean ech = false;
    if (p == end) {
      return new ClientHelloInfo(null, alpn, false, consumed, records);
    }
    if (end - p < 2) {
      return null;
    }
    final int extensionsLength = in.getUnsignedShort(p);
    p += 2;
    if (extensionsLength != end - p) {
      return null;
    }
    int[] types = new int[16];
    int count = 0;
    while (p < end) {
      if (end - p < 4) {
        return null;
      }
      final int type = in.getUnsignedShort(p);
      final int extLength = in.getUnsignedShort(p + 2);
      p += 4;
      if (end - p < extLength) {
        return null;
      }
      if (count == types.length) {
        types = Arrays.copyOf(types, count * 2);
      }
      types[count++] = type;
      switch (type) {
        case EXT_SERVER_NAME -> {
          serverName = parseServerName(in, p, extLength);
          if (serverName == null) {
            return null;
          }
        }
        case EXT_ALPN -> {
          alpn = parseAlpn(in, p, extLength);
          if (alpn == null) {
            return null;
          }
        }
        case EXT_ENCRYPTED_CLIENT_HELLO -> ech = true;
        default -> {}
      }
      p += extLength;
    }
    // RFC 8446 4.2: no extension type may appear twice. Sorting keeps this O(n log n) even for a
    // hostile hello made of thousands of empty extensions.
    Arrays.sort(types, 0, count);
    for (int i = 1; i < count; i++) {
      if (types[i] == types[i - 1]) {
        return null;
      }
    }
    return new ClientHelloInfo(serverName, alpn, ech, consumed, records);
  }

  /** RFC 6066 3: exactly one host_name (type 0); null when malformed. */
  private static String parseServerName(ByteBuf in, int start, int length) {
    if (length < 2 || in.getUnsignedShort(start) != length - 2) {
      return null;
    }
    int p = start + 2;
    final int end = start + length;
    String hostName = null;
    while (p < end) {
      if (end - p < 3) {
        return null;
      }
      final int nameType = in.getUnsignedByte(p);
      final int nameLength = in.getUnsignedShort(p + 1);
      p += 3;
      if (nameType != 0 || hostName != null || nameLength < 1 || end - p < nameLength) {
        return null;
      }
      // ISO-8859-1 keeps every byte as one char, so a non-ASCII name reaches the resolver as the
      // invalid name it is instead of being silently repaired.
      hostName = in.toString(p, nameLength, StandardCharsets.ISO_8859_1);
      p += nameLength;
    }
    return hostName;
  }

  /** RFC 7301 3.1: a non-empty list of non-empty names; null when malformed. */
  private static List<String> parseAlpn(ByteBuf in, int start, int length) {
    if (length < 2 || in.getUnsignedShort(start) != length - 2) {
      return null;
    }
    int p = start + 2;
    final int end = start + length;
    if (p == end) {
      return null;
    }
    List<String> names = new ArrayList<>(4);
    while (p < end) {
      final int nameLength = in.getUnsignedByte(p++);
      if (nameLength < 1 || end - p < nameLength) {
        return null;
      }
      names.add(in.toString(p, nameLength, StandardCharsets.ISO_8859_1));
      p += nameLength;
    }
    return names;
  }
}
