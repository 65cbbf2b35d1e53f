package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
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

  /** Source addresses for idle connections, each its own client (127.0.0.10 to .249, in turn). */
  private static final AtomicInteger NEXT_SOURCE = new AtomicInteger();

  /** A connection from a loopback address of its own: an outside client holds few slots each. */
  static Socket fromOwnAddress(int port) throws IOException {
    InetAddress source = InetAddress.getByName("127.0.0." + (10 + Math.floorMod(NEXT_SOURCE.getAndIncrement(), 240)));
    return new Socket(InetAddress.getLoopbackAddress(), port, source, 0);
  }

  /**
   * Keeps {@code n} idle connections open to the listener, each from its own address. One it
   * refused (a 503 or a close waits to be read) is replaced: it came while a connection closed a
   * moment before was still counted.
   */
  static void keepIdle(List<Socket> idle, int n, int port) throws IOException {
    for (Iterator<Socket> it = idle.iterator(); it.hasNext(); ) {
      Socket s = it.next();
      if (refused(s)) {
        s.close();
        it.remove();
      }
    }
    while (idle.size() < n) {
      idle.add(fromOwnAddress(port));
    }
  }

  /** Whether the listener has answered or closed a connection that sent nothing. */
  static boolean refused(Socket idle) throws IOException {
    idle.setSoTimeout(50);
    try {
      idle.getInputStream().read(); // a byte of its 503, or the end of the stream
      return true;
    } catch (SocketTimeoutException open) {
      return false;
    } catch (IOException reset) {
      return true;
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
      String probe = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
      List<Socket> idle = new ArrayList<>();
      try {
        // maxConnections 8: 2 from outside allowFrom (from two addresses: one outside client holds at
        // most a quarter of those, at least 1; ListenerConnectionLimitTest). The idle ones are counted when their event
        // loops activate them, which may lag behind a later connection on a loaded machine: wait
        // until one over the cap is refused while both idle ones are still open.
        AtomicReference<String> overTheCap = new AtomicReference<>();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(
                () -> {
                  keepIdle(idle, 2, fx.adminPort);
                  overTheCap.set(answerWithoutBody(fx.adminPort, probe));
                  return overTheCap.get().startsWith("HTTP/1.1 503") && !refused(idle.get(0)) && !refused(idle.get(1));
                });
        assertThat(overTheCap.get()).contains("too many admin connections");
        idle.remove(0).close();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> answerWithoutBody(fx.adminPort, probe).startsWith("HTTP/1.1 403"));
      } finally {
        for (Socket s : idle) {
          s.close();
        }
      }
    }
  }
}
