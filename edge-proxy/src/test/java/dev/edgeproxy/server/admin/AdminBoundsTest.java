package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, point 7: the admin endpoint judges a request before reading its body and caps its
 * connections, so that nobody on the internet (webhooks are public) can stall it.
 */
class AdminBoundsTest {
  @TempDir Path dir;

  AdminFixture start(AdminFixture fx, String allowFrom) throws Exception {
    Path list = dir.resolve("allowlist.yaml");
    Files.writeString(list, "allow:\n  - only.example.com\n");
    return fx.start(
        """
        listeners:
          admin:
            bind: "127.0.0.1:%d"
            allowFrom: %s
            syncToken: tok
            maxConnections: 8
        allowlist:
          file:
            path: "%s"
        accessLog:
          format: none
        """
            .formatted(fx.adminPort, allowFrom, list),
        Map.of(),
        Map.<String, String>of()::get);
  }

  /** Sends a head announcing a large body, sends none, and expects the answer anyway. */
  static String answerWithoutBody(int port, String head) throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] buf = new byte[4096];
      int n = in.read(buf);
      return n < 0 ? "" : new String(buf, 0, n, StandardCharsets.US_ASCII);
    }
  }

  @Test
  void aHeadIsJudgedBeforeItsBodyIsRead() throws Exception {
    try (AdminFixture fx = new AdminFixture()) {
      start(fx, "[\"127.0.0.0/8\", \"::1/128\"]");
      String big = "Content-Length: 1000000\r\n\r\n";
      assertThat(answerWithoutBody(fx.adminPort, "POST /sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer no\r\n" + big))
          .startsWith("HTTP/1.1 401");
      assertThat(answerWithoutBody(fx.adminPort, "POST /hooks/git HTTP/1.1\r\nHost: x\r\n" + big))
          .as("an unsigned webhook")
          .startsWith("HTTP/1.1 4");
      assertThat(answerWithoutBody(fx.adminPort, "POST /nope HTTP/1.1\r\nHost: x\r\n" + big)).startsWith("HTTP/1.1 413");
      assertThat(answerWithoutBody(fx.adminPort, "GET /status HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"))
          .startsWith("HTTP/1.1 413");
      assertThat(fx.get("/healthz").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void addressesOutsideAllowFromAreRefusedBeforeTheirBodyAndMayHoldAQuarterOfTheConnections() throws Exception {
    try (AdminFixture fx = new AdminFixture()) {
      start(fx, "[\"10.0.0.0/8\"]"); // loopback is outside: a webhook sender
      assertThat(answerWithoutBody(fx.adminPort, "POST /sync HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer tok\r\n"
          + "Content-Length: 1000000\r\n\r\n")).startsWith("HTTP/1.1 403");
      List<Socket> idle = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) { // maxConnections 8: 2 from outside allowFrom
          idle.add(new Socket(InetAddress.getLoopbackAddress(), fx.adminPort));
        }
        // the two idle sockets are counted when their event loops activate them, which may lag
        // behind a later connection on a loaded machine: wait for the cap, then check its answer
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofSeconds(10))
            .until(() -> answerWithoutBody(fx.adminPort, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 503"));
        assertThat(answerWithoutBody(fx.adminPort, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
            .startsWith("HTTP/1.1 503").contains("too many admin connections");
        idle.remove(0).close();
        org.awaitility.Awaitility.await()
            .atMost(java.time.Duration.ofSeconds(10))
            .until(() -> answerWithoutBody(fx.adminPort, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").startsWith("HTTP/1.1 403"));
      } finally {
        for (Socket s : idle) {
          s.close();
        }
      }
    }
  }
}
