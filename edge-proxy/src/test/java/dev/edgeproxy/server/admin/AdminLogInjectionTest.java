package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A client outside {@code allowFrom} chooses the path that the refusal's warning quotes. The path
 * was logged percent-decoded and whole: {@code %0a} started a forged log line of the client's
 * making (the default text log format writes messages as they are), and a 4 KiB path made a 4 KiB
 * warning per connection. It is logged escaped and cut short.
 */
class AdminLogInjectionTest {
  @TempDir Path dir;

  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final List<Logger> loggers =
      List.of((Logger) LoggerFactory.getLogger(AdminHandler.class), (Logger) LoggerFactory.getLogger(AdminAuth.class));

  @BeforeEach
  void captureLogs() {
    logs.start();
    loggers.forEach(l -> l.addAppender(logs));
  }

  @AfterEach
  void releaseLogs() {
    loggers.forEach(l -> l.detachAppender(logs));
  }

  @Test
  void aRefusedPathIsLoggedOnOneShortLine() throws Exception {
    Path list = dir.resolve("allowlist.yaml");
    Files.writeString(list, "allow:\n  - only.example.com\n");
    try (AdminFixture fx = new AdminFixture()) {
      fx.start(
          """
          listeners:
            admin:
              bind: "127.0.0.1:%d"
              allowFrom: ["10.0.0.0/8"]
          allowlist:
            file:
              path: "%s"
          accessLog:
            format: none
          """
              .formatted(fx.adminPort, list),
          Map.of(),
          name -> null);
      String forged = "/x%0d%0a2026-12-02T06:00:00.000Z%20INFO%20%20[main]%20AllowListService%20-%20forged%1b[2J";
      assertThat(refusedWith403(fx.adminPort, forged)).startsWith("HTTP/1.1 403 ");
      assertThat(refusedWith403(fx.adminPort, "/" + "a".repeat(3000))).startsWith("HTTP/1.1 403 ");

      Awaitility.await().until(() -> refusals().size() == 2);
      for (String message : refusals()) {
        assertThat(message).as(message).doesNotContain("\n").doesNotContain("\r").doesNotContain("\u001b");
        assertThat(message.length()).as(message).isLessThan(400);
      }
      assertThat(refusals().get(0)).contains("/x\\r\\n2026-12-02T06:00:00.000Z");
    }
  }

  private List<String> refusals() {
    return logs.list.stream()
        .filter(e -> e.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.startsWith("admin: refused"))
        .toList();
  }

  /** One raw request (the JDK client would not send such a target), the answer's first bytes. */
  private static String refusedWith403(int port, String target) throws Exception {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET " + target + " HTTP/1.1\r\nHost: admin\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
