package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Hellos captured live from openssl s_client and curl: the test accepts the raw TCP connection on
 * 127.0.0.1, reads until the parser decides, and checks every truncation and 1-byte reads.
 */
class ExternalClientHelloTest {

  @Test
  void opensslSClient() throws Exception {
    Tools.require("openssl");
    Capture c =
        capture(port -> List.of(
            "openssl", "s_client", "-connect", "127.0.0.1:" + port, "-servername", "openssl.example.com",
            "-alpn", "h2,http/1.1"));
    assertThat(c.result.hello().serverName()).isEqualTo("openssl.example.com");
    assertThat(c.result.hello().alpn()).containsExactly("h2", "http/1.1");
    checkEveryTruncation(c.bytes);
  }

  @Test
  void opensslTls12WithoutSni() throws Exception {
    Tools.require("openssl");
    Capture c =
        capture(port -> List.of("openssl", "s_client", "-connect", "127.0.0.1:" + port, "-noservername", "-tls1_2"));
    assertThat(c.result.hello().serverName()).isNull();
    checkEveryTruncation(c.bytes);
  }

  @Test
  void curl() throws Exception {
    Tools.require("curl");
    Capture c =
        capture(port -> List.of(
            "curl", "-sk", "--max-time", "5", "--resolve", "curl.example.com:" + port + ":127.0.0.1",
            "https://curl.example.com:" + port + "/"));
    assertThat(c.result.hello().serverName()).isEqualTo("curl.example.com");
    assertThat(c.result.hello().alpn()).contains("http/1.1");
    checkEveryTruncation(c.bytes);
  }

  record Capture(byte[] bytes, ClientHelloParser.Result result) {}

  interface Command {
    List<String> forPort(int port);
  }

  static Capture capture(Command command) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      server.setSoTimeout(10_000);
      Process process =
          new ProcessBuilder(command.forPort(server.getLocalPort()))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      process.getOutputStream().close(); // s_client: no stdin, it would wait for a line
      try (Socket socket = server.accept()) {
        socket.setSoTimeout(10_000);
        ClientHelloParser parser = new ClientHelloParser(65536);
        ByteBuf acc = Unpooled.buffer();
        InputStream in = socket.getInputStream();
        byte[] chunk = new byte[4096];
        ClientHelloParser.Result result = parser.parse(acc);
        while (result.status() == ClientHelloParser.Status.NEED_MORE) {
          int n = in.read(chunk);
          assertThat(n).as("client closed before a whole hello").isPositive();
          acc.writeBytes(chunk, 0, n);
          result = parser.parse(acc);
        }
        assertThat(result.status()).isEqualTo(ClientHelloParser.Status.COMPLETE);
        byte[] bytes = new byte[result.hello().bytesConsumed()];
        acc.getBytes(0, bytes);
        return new Capture(bytes, result);
      } finally {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      }
    }
  }

  static void checkEveryTruncation(byte[] hello) {
    ClientHelloParser.Result full = ClientHelloParserTest.parse(hello, 65536);
    for (int n = 0; n < hello.length; n++) {
      assertThat(ClientHelloParserTest.parse(Hellos.prefix(hello, n), 65536).status())
          .as("prefix %d", n)
          .isEqualTo(ClientHelloParser.Status.NEED_MORE);
    }
    assertThat(ClientHelloParserTest.feed(hello, 1, 65536).hello()).isEqualTo(full.hello());
    byte[] tiny = Hellos.records(Hellos.unframe(hello), 13);
    assertThat(ClientHelloParserTest.feed(tiny, 5, 65536).hello().serverName()).isEqualTo(full.hello().serverName());
  }
}
