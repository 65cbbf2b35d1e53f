package dev.edgeproxy.sni;

import static dev.edgeproxy.sni.ClientHelloParser.Status.COMPLETE;
import static dev.edgeproxy.sni.ClientHelloParser.Status.ERROR;
import static dev.edgeproxy.sni.ClientHelloParser.Status.NEED_MORE;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientHelloParserTest {
  static final int CAP = 16384;

  static ClientHelloParser.Result parse(byte[] bytes) {
    return parse(bytes, CAP);
  }

  static ClientHelloParser.Result parse(byte[] bytes, int cap) {
    return new ClientHelloParser(cap).parse(Unpooled.wrappedBuffer(bytes));
  }

  /** Feeds the stream in reads of {@code chunk} bytes to one parser, as a connection would. */
  static ClientHelloParser.Result feed(byte[] bytes, int chunk, int cap) {
    ClientHelloParser parser = new ClientHelloParser(cap);
    ByteBuf acc = Unpooled.buffer();
    ClientHelloParser.Result result = null;
    for (int p = 0; p < bytes.length; p += chunk) {
      acc.writeBytes(bytes, p, Math.min(chunk, bytes.length - p));
      int readerIndex = acc.readerIndex();
      result = parser.parse(acc);
      assertThat(acc.readerIndex()).isEqualTo(readerIndex);
      if (p + chunk < bytes.length && result.status() != NEED_MORE) {
        return result; // decided early
      }
    }
    return result;
  }

  @Test
  void jdkTls13WithSniAndAlpn() {
    byte[] hello = Hellos.jdk("TLSv1.3", "www.example.com", "h2", "http/1.1");
    ClientHelloParser.Result r = parse(hello);
    assertThat(r.status()).isEqualTo(COMPLETE);
    assertThat(r.hello().serverName()).isEqualTo("www.example.com");
    assertThat(r.hello().alpn()).containsExactly("h2", "http/1.1");
    assertThat(r.hello().encryptedClientHello()).isFalse();
    assertThat(r.hello().bytesConsumed()).isEqualTo(hello.length);
    assertThat(r.hello().records()).isEqualTo(1);
  }

  @Test
  void jdkTls12WithSni() {
    ClientHelloParser.Result r = parse(Hellos.jdk("TLSv1.2", "Api.Example.COM"));
    assertThat(r.status()).isEqualTo(COMPLETE);
    assertThat(r.hello().serverName()).isEqualTo("Api.Example.COM"); // raw: not lower-cased
    assertThat(r.hello().alpn()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
  void jdkWithoutSni(String protocol) {
    ClientHelloParser.Result r = parse(Hellos.jdk(protocol, null));
    assertThat(r.status()).isEqualTo(COMPLETE);
    assertThat(r.hello().serverName()).isNull();
  }

  @Test
  void chromeStyleHelloWithPostQuantumKeyShare() {
    byte[] hello = Hellos.chromeLike("chrome.example.org", false);
    assertThat(hello.length).isGreaterThan(1500);
    ClientHelloParser.Result r = parse(hello);
    assertThat(r.status()).isEqualTo(COMPLETE);
    assertThat(r.hello().serverName()).isEqualTo("chrome.example.org");
    assertThat(r.hello().alpn()).containsExactly("h2", "http/1.1");
    // split at 512-byte records, as some middleboxes re-frame: several records, same answer
    byte[] split = Hellos.records(Hellos.unframe(hello), 512);
    ClientHelloParser.Result r2 = feed(split, 100, CAP);
    assertThat(r2.status()).isEqualTo(COMPLETE);
    assertThat(r2.hello().serverName()).isEqualTo("chrome.example.org");
    assertThat(r2.hello().records()).isEqualTo(Hellos.recordCount(split)).isGreaterThan(2);
    assertThat(r2.hello().bytesConsumed()).isEqualTo(split.length);
  }

  @Test
  void encryptedClientHelloIsReportedWithTheOuterName() {
    ClientHelloParser.Result r = parse(Hellos.chromeLike("public.example.net", true));
    assertThat(r.status()).isEqualTo(COMPLETE);
    assertThat(r.hello().encryptedClientHello()).isTrue();
    assertThat(r.hello().serverName()).isEqualTo("public.example.net");
  }

  @Test
  void everyTruncationOfRealHellosNeedsMore() {
    for (byte[] hello :
        List.of(
            Hellos.jdk("TLSv1.3", "a.example.com", "h2"),
            Hellos.jdk("TLSv1.2", null),
            Hellos.chromeLike("c.example.com", true),
            Hellos.records(Hellos.unframe(Hellos.jdk("TLSv1.3", "r.example.com")), 3),
            Hellos.records(Hellos.unframe(Hellos.chromeLike("r.example.com", false)), 1))) {
      for (int n = 0; n < hello.length; n++) {
        ClientHelloParser.Result r = parse(Hellos.prefix(hello, n));
        assertThat(r.status()).as("prefix %d of %d", n, hello.length).isEqualTo(NEED_MORE);
      }
      assertThat(parse(hello).status()).isEqualTo(COMPLETE);
    }
  }

  @Test
  void oneByteReadsReachTheSameAnswer() {
    byte[] hello = Hellos.chromeLike("bytes.example.com", false);
    ClientHelloParser.Result r = feed(hello, 1, CAP);
    assertThat(r.status()).isEqualTo(COMPLETE);
    assertThat(r.hello().serverName()).isEqualTo("bytes.example.com");
  }

  @Test
  void helloReframedIntoTinyRecords() {
    byte[] message = Hellos.unframe(Hellos.jdk("TLSv1.3", "tiny.example.com", "h2"));
    for (int size = 1; size <= 50; size++) {
      byte[] stream = Hellos.records(message, size);
      for (int chunk : new int[] {1, 7, stream.length}) {
        ClientHelloParser.Result r = feed(stream, chunk, CAP);
        assertThat(r.status()).as("records of %d, reads of %d", size, chunk).isEqualTo(COMPLETE);
        assertThat(r.hello().serverName()).isEqualTo("tiny.example.com");
        assertThat(r.hello().records()).isEqualTo(Hellos.recordCount(stream));
        assertThat(r.hello().bytesConsumed()).isEqualTo(stream.length);
      }
    }
    Random random = new Random(7);
    for (int round = 0; round < 50; round++) {
      int[] sizes = random.ints(16, 1, 51).toArray();
      ClientHelloParser.Result r = feed(Hellos.records(message, sizes), 1 + random.nextInt(40), CAP);
      assertThat(r.status()).isEqualTo(COMPLETE);
      assertThat(r.hello().serverName()).isEqualTo("tiny.example.com");
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void firstRecordWithFewerThanFourHandshakeHeaderBytes(int first) {
    byte[] message = Hellos.unframe(Hellos.jdk("TLSv1.2", "hdr.example.com"));
    ClientHelloParser.Result r = feed(Hellos.records(message, new int[] {first, 1000}), 5, CAP);
    assertThat(r.status()).isEqualTo(COMPLETE);
    assertThat(r.hello().serverName()).isEqualTo("hdr.example.com");
  }

  @Test
  void oversizedHelloFailsAsSoonAsItCannotFit() {
    byte[] hello = Hellos.chromeLike("big.example.com", false);
    int cap = 1024;
    // one record: its header alone tells
    assertThat(parse(Hellos.prefix(hello, 5), cap).error()).isEqualTo(Reason.TOO_LARGE);
    // small records: the handshake length tells after the first record
    byte[] split = Hellos.records(Hellos.unframe(hello), 100);
    assertThat(parse(Hellos.prefix(split, 105), cap).error()).isEqualTo(Reason.TOO_LARGE);
    // record headers count: the same hello fits its exact size only
    assertThat(parse(split, split.length).status()).isEqualTo(COMPLETE);
    assertThat(parse(split, split.length - 1).error()).isEqualTo(Reason.TOO_LARGE);
  }

  @Test
  void notTlsFailsOnTheFirstByte() {
    assertThat(parse("G".getBytes(StandardCharsets.US_ASCII)).error()).isEqualTo(Reason.NOT_TLS);
    assertThat(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).error())
        .isEqualTo(Reason.NOT_TLS);
    assertThat(parse(new byte[] {0x15, 3, 3, 0, 2, 2, 40}).error()).isEqualTo(Reason.NOT_TLS);
    assertThat(parse(new byte[] {(byte) 0x80, 0x2e, 1, 0, 2}).error()).isEqualTo(Reason.NOT_TLS);
    assertThat(parse(new byte[0]).status()).isEqualTo(NEED_MORE);
  }

  @Test
  void everyCorruptedLengthFieldFailsUnlessItIsAnotherValidHello() {
    for (byte[] hello :
        List.of(Hellos.fixture("jdk17-tls13-sni-alpn.hex"), Hellos.chromeLike("len.example.com", true))) {
      assertThat(parse(hello).hello().serverName()).isEqualTo("len.example.com");
      int errors = 0;
      List<int[]> fields = Hellos.lengthFields(hello);
      assertThat(fields.size()).isGreaterThan(10);
      for (int[] field : fields) {
        for (int delta : new int[] {-1, 1, -2, 2, 0x100, -0x100}) {
          byte[] bad = hello.clone();
          int value = 0;
          for (int i = 0; i < field[1]; i++) {
            value = value << 8 | bad[field[0] + i] & 0xff;
          }
          long corrupted = (value + delta) & ((1L << (8 * field[1])) - 1);
          if (field[1] == 1 && (delta == 0x100 || delta == -0x100)) {
            continue; // no change in one byte
          }
          for (int i = field[1] - 1, v = (int) corrupted; i >= 0; i--, v >>>= 8) {
            bad[field[0] + i] = (byte) v;
          }
          ClientHelloParser.Result r = parse(bad);
          if (r.status() == COMPLETE) {
            // The one way a corrupted length can still be a well-formed hello: an extension's length
            // grown or shrunk by 2 swallows or frees the next extension's type, and the nested u16
            // list lengths (server_name, ALPN, key_share...) then realign as a valid TLV chain. A TLS
            // server parses that hello the same way, so it is a different hello, not a parse error.
            assertThat(field[2]).as("field at %d %+d", field[0], delta).isEqualTo(1);
            assertThat(Math.abs(delta)).as("field at %d %+d", field[0], delta).isEqualTo(2);
          } else {
            errors++;
          }
          // With the whole stream present, only a longer record/handshake may wait for more.
          if (r.status() == NEED_MORE) {
            assertThat(field[0]).isIn(3, 6);
          }
        }
      }
      assertThat(errors).isGreaterThan(fields.size() * 4);
    }
  }

  @Test
  void strictStructureChecks() {
    byte[] hello = Hellos.jdk("TLSv1.3", "strict.example.com");
    byte[] message = Hellos.unframe(hello);

    byte[] handshakeType = hello.clone();
    handshakeType[5] = 2; // ServerHello
    assertMalformed(handshakeType);

    byte[] recordVersion = hello.clone();
    recordVersion[1] = 2;
    assertMalformed(recordVersion);

    assertMalformed(Hellos.concat(new byte[] {22, 3, 1, 0, 0}, hello)); // empty record first

    byte[] huge = Hellos.concat(new byte[] {22, 3, 1, 0x40, 1}, new byte[16385]);
    assertMalformed(huge);

    // a record that carries bytes after the hello
    byte[] trailing = Hellos.concat(message, new byte[] {0});
    assertMalformed(Hellos.records(trailing, trailing.length));

    // second record of another type before the hello is complete
    byte[] split = Hellos.records(message, 40);
    split[45] = 21;
    assertMalformed(split);

    // session id 33
    int sid = 5 + 4 + 2 + 32;
    byte[] longSid = hello.clone();
    longSid[sid] = 33;
    assertMalformed(longSid);

    // compression methods without null, or with an unregistered method
    byte[] noNull = Hellos.concat(new byte[] {3, 3}, new byte[32], new byte[] {0, 0, 2, 0x13, 1, 1, 1});
    assertMalformedBody(noNull);
    byte[] unknown = Hellos.concat(new byte[] {3, 3}, new byte[32], new byte[] {0, 0, 2, 0x13, 1, 2, 0, 7});
    assertMalformedBody(unknown);
  }

  @Test
  void strictExtensionChecks() {
    byte[] body = helloBody(Hellos.concat(sni((byte) 0, "ok.example.com")));
    assertThat(parse(Hellos.records(Hellos.handshake(body), 16384)).hello().serverName()).isEqualTo("ok.example.com");

    assertMalformedBody(helloBody(Hellos.concat(sni((byte) 1, "x.example.com")))); // name type 1
    assertMalformedBody(helloBody(Hellos.concat(sni((byte) 0, "")))); // empty host_name
    assertMalformedBody(helloBody(Hellos.concat(sni((byte) 0, "a.com"), sni((byte) 0, "b.com")))); // duplicate ext
    assertMalformedBody(helloBody(ext(16, new byte[] {0, 1, 0}))); // empty protocol name
    assertMalformedBody(helloBody(ext(16, new byte[] {0, 0}))); // empty ALPN list
    assertMalformedBody(helloBody(ext(0, new byte[0]))); // empty server_name in a client hello
    // two host_names in one list
    byte[] two = Hellos.concat(new byte[] {0}, Hellos.u16("a.com".getBytes()), new byte[] {0}, Hellos.u16("b.com".getBytes()));
    assertMalformedBody(helloBody(ext(0, Hellos.u16(two))));
    // odd cipher suites length
    byte[] odd = Hellos.concat(new byte[] {3, 3}, new byte[32], new byte[] {0, 0, 3, 0x13, 1, 0x13, 1, 0}, Hellos.u16(new byte[0]));
    assertMalformedBody(odd);
    // a TLS 1.2 hello without any extension: valid, no SNI
    byte[] bare = Hellos.concat(new byte[] {3, 3}, new byte[32], new byte[] {0, 0, 2, 0x13, 1, 1, 0});
    ClientHelloParser.Result r = parse(Hellos.records(Hellos.handshake(bare), 16384));
    assertThat(r.status()).isEqualTo(COMPLETE);
    assertThat(r.hello().serverName()).isNull();
  }

  @Test
  void outcomeIsStickyAndNeedMoreDoesNotRescan() {
    byte[] hello = Hellos.jdk("TLSv1.3", "sticky.example.com");
    ClientHelloParser parser = new ClientHelloParser(CAP);
    ByteBuf acc = Unpooled.buffer();
    acc.writeBytes(hello, 0, 5);
    assertThat(parser.parse(acc).status()).isEqualTo(NEED_MORE);
    // bytes that would be garbage if they were looked at: not looked at until the record is whole
    acc.writeBytes(new byte[] {0x7f});
    assertThat(parser.parse(acc).status()).isEqualTo(NEED_MORE);
    acc.clear().writeBytes(hello);
    ClientHelloParser.Result done = parser.parse(acc);
    assertThat(done.status()).isEqualTo(COMPLETE);
    acc.setByte(0, 0); // later calls never look again
    assertThat(parser.parse(acc)).isSameAs(done);
  }

  private static void assertMalformed(byte[] bytes) {
    ClientHelloParser.Result r = parse(bytes);
    assertThat(r.status()).isEqualTo(ERROR);
    assertThat(r.error()).isEqualTo(Reason.MALFORMED);
  }

  private static void assertMalformedBody(byte[] body) {
    assertMalformed(Hellos.records(Hellos.handshake(body), 16384));
  }

  private static byte[] helloBody(byte[] extensions) {
    return Hellos.concat(
        new byte[] {3, 3}, new byte[32], new byte[] {0, 0, 2, 0x13, 1, 1, 0}, Hellos.u16(extensions));
  }

  private static byte[] sni(byte type, String name) {
    byte[] entry = Hellos.concat(new byte[] {type}, Hellos.u16(name.getBytes(StandardCharsets.US_ASCII)));
    return ext(0, Hellos.u16(entry));
  }

  private static byte[] ext(int type, byte[] data) {
    return Hellos.concat(new byte[] {(byte) (type >>> 8), (byte) type}, Hellos.u16(data));
  }
}
