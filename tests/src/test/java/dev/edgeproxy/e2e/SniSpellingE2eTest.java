package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.e2e.support.AccessLogEntry;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.Teardown;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.Tools;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An SNI is judged by the bytes the backend gets, not by what IDNA makes of them. The UTF-8 bytes
 * of "İnternal.apps.example.test" (C4 B0 for İ) were read as the ISO-8859-1 "Ä°nternal…", a valid
 * U-label, turned into the A-label xn--nternal-8ka18b.apps.example.test and forwarded under the
 * wildcard, while an ingress that lower-cases with Unicode rules (Go's strings.ToLower, as in
 * Traefik's HostSNI matching) reads "internal.apps.example.test", a denied host.
 */
class SniSpellingE2eTest {

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  static NginxBackend nginx;
  static EdgeProxyProcess proxy;

  @BeforeAll
  static void start() {
    Tools.require("nginx");
    nginx = dump.watch(NginxBackend.start());
    proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
        .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
        .allow("*.apps.example.test")
        .deny("internal.apps.example.test")));
  }

  @AfterAll
  static void stop() throws Exception {
    Teardown.stopThenClose(proxy, nginx);
  }

  @Test
  void aNonAsciiSniIsRefusedAsInvalidNotJudgedAsAnotherName() throws Exception {
    byte[] hello = helloWithSniBytes("xxnternal.apps.example.test", "xx", new byte[] {(byte) 0xC4, (byte) 0xB0});

    int localPort;
    byte[] first;
    try (Socket socket = new Socket()) {
      socket.connect(TlsConnection.loopback(proxy.tlsPort()), 5_000);
      socket.setSoTimeout(10_000);
      localPort = socket.getLocalPort();
      socket.getOutputStream().write(hello);
      socket.getOutputStream().flush();
      first = readUpTo(socket.getInputStream(), 7);
    }

    AccessLogEntry entry = proxy.awaitAccessLog(localPort);
    assertThat(entry.decision()).as(entry.line()).isEqualTo("refused");
    assertThat(entry.reason()).as(entry.line()).isEqualTo("invalid_host");
    assertThat(entry.has("endpoint")).as("nothing forwarded: %s", entry.line()).isFalse();
    assertThat(first).as("a fatal unrecognized_name alert (112), no ServerHello")
        .containsExactly(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112);
  }

  /** A JDK ClientHello for {@code asciiHost} whose {@code placeholder} bytes are replaced by {@code replacement}. */
  private static byte[] helloWithSniBytes(String asciiHost, String placeholder, byte[] replacement) throws Exception {
    byte[] hello = TlsConnection.clientHello(asciiHost);
    byte[] name = asciiHost.getBytes(StandardCharsets.US_ASCII);
    int at = indexOf(hello, name);
    assertThat(at).as("the SNI in the hello").isPositive();
    assertThat(indexOf(Arrays.copyOfRange(hello, at + 1, hello.length), name)).as("one copy").isNegative();
    assertThat(replacement).hasSize(placeholder.length());
    System.arraycopy(replacement, 0, hello, at + asciiHost.indexOf(placeholder), replacement.length);
    return hello;
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static byte[] readUpTo(InputStream in, int n) throws java.io.IOException {
    byte[] out = new byte[n];
    int got = 0;
    for (int r; got < n && (r = in.read(out, got, n - got)) > 0; ) {
      got += r;
    }
    return Arrays.copyOf(out, got);
  }
}
