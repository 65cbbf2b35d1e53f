package dev.edgeproxy.e2e;

import dev.edgeproxy.e2e.support.CliClients;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.TlsConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/**
 * The soak's clients: each worker cycles through request kinds until its deadline. Requests for
 * the always-allowed host must all be answered by the backend; refused hosts must never be; hosts
 * that flip in and out of the list may go either way.
 */
final class SoakTraffic {
  private enum Kind {
    TLS_ALLOWED, HTTP_ALLOWED, TLS_DENIED, HTTP_DENIED, TLS_NEVER, TLS_FLIPPING, HTTP_FLIPPING,
    NOT_TLS, OPENSSL_ALLOWED, OPENSSL_DENIED
  }

  private static final int OPENSSL_EVERY = 25;

  private final int tlsPort;
  private final int httpPort;
  private final LongAdder allowedAnswered = new LongAdder();
  private final LongAdder allowedFailures = new LongAdder();
  private final LongAdder refusedAsExpected = new LongAdder();
  private final LongAdder refusedAnswered = new LongAdder();
  private final LongAdder flippingAnswered = new LongAdder();
  private final LongAdder flippingRefused = new LongAdder();
  private final ConcurrentLinkedQueue<String> failureSamples = new ConcurrentLinkedQueue<>();

  SoakTraffic(int tlsPort, int httpPort) {
    this.tlsPort = tlsPort;
    this.httpPort = httpPort;
  }

  void runUntil(int worker, long deadlineNanos) {
    Kind[] kinds = Kind.values();
    for (long n = worker; System.nanoTime() < deadlineNanos; n++) {
      Kind kind = kinds[(int) (n % (kinds.length - 2))];
      if (n % OPENSSL_EVERY == 0) {
        kind = n / OPENSSL_EVERY % 2 == 0 ? Kind.OPENSSL_ALLOWED : Kind.OPENSSL_DENIED;
      }
      String flipping = SoakE2eTest.FLIPPING.get((int) (n % SoakE2eTest.FLIPPING.size()));
      run(kind, flipping);
    }
  }

  private void run(Kind kind, String flipping) {
    switch (kind) {
      case TLS_ALLOWED -> allowed(kind, () -> tlsBody(SoakE2eTest.STABLE).endsWith("sni=" + SoakE2eTest.STABLE + "\n"));
      case HTTP_ALLOWED -> allowed(kind, () -> http(SoakE2eTest.STABLE).contains("host=" + SoakE2eTest.STABLE + " "));
      case OPENSSL_ALLOWED -> allowed(kind, () -> {
        Exec.Result r = CliClients.opensslGet("127.0.0.1", tlsPort, SoakE2eTest.STABLE, "/");
        return r.stdout().contains("sni=" + SoakE2eTest.STABLE);
      });
      case TLS_DENIED -> refused(() -> tlsRefused(SoakE2eTest.DENIED));
      case TLS_NEVER -> refused(() -> tlsRefused(SoakE2eTest.NEVER));
      case HTTP_DENIED -> refused(() -> http(SoakE2eTest.DENIED).startsWith("HTTP/1.1 421"));
      case OPENSSL_DENIED -> refused(() -> {
        Exec.Result r = CliClients.opensslGet("127.0.0.1", tlsPort, SoakE2eTest.NEVER, "/");
        return r.exitCode() != 0 && !r.stdout().contains("sni=");
      });
      case NOT_TLS -> refused(this::plainBytesOnTlsPortClosed);
      case TLS_FLIPPING -> flipping(() -> tlsBody(flipping).endsWith("sni=" + flipping + "\n"));
      case HTTP_FLIPPING -> flipping(() -> http(flipping).contains("host=" + flipping + " "));
    }
  }

  @FunctionalInterface
  private interface Check {
    boolean ok() throws IOException;
  }

  private void allowed(Kind kind, Check check) {
    try {
      if (check.ok()) {
        allowedAnswered.increment();
        return;
      }
      fail(kind + ": unexpected answer");
    } catch (IOException | RuntimeException e) {
      fail(kind + ": " + e);
    }
  }

  private void fail(String what) {
    allowedFailures.increment();
    if (failureSamples.size() < 20) {
      failureSamples.add(what);
    }
  }

  private void refused(Check check) {
    try {
      if (check.ok()) {
        refusedAsExpected.increment();
      } else {
        refusedAnswered.increment();
      }
    } catch (IOException | RuntimeException e) {
      refusedAsExpected.increment(); // a handshake failure or reset is a refusal
    }
  }

  private void flipping(Check check) {
    try {
      if (check.ok()) {
        flippingAnswered.increment();
      } else {
        flippingRefused.increment();
      }
    } catch (IOException | RuntimeException e) {
      flippingRefused.increment();
    }
  }

  private String tlsBody(String sni) throws IOException {
    TlsConnection.Reply reply = TlsConnection.get(TlsConnection.loopback(tlsPort), sni, "/");
    return reply.status() == 200 ? reply.body() : "status " + reply.status();
  }

  private boolean tlsRefused(String sni) throws IOException {
    TlsConnection.FailedHandshake failed = TlsConnection.failedHandshake(TlsConnection.loopback(tlsPort), sni);
    return failed.error() != null;
  }

  /** One request with {@code Connection: close}; the whole answer as text. */
  private String http(String host) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", httpPort), 5_000);
      socket.setSoTimeout(20_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET /soak HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  /** Plain HTTP bytes on the TLS port: closed without an answer. */
  private boolean plainBytesOnTlsPortClosed() throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", tlsPort), 5_000);
      socket.setSoTimeout(20_000);
      socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = socket.getInputStream();
      return in.readAllBytes().length == 0;
    }
  }

  long allowedAnswered() {
    return allowedAnswered.sum();
  }

  long allowedFailures() {
    return allowedFailures.sum();
  }

  long refusedAnswered() {
    return refusedAnswered.sum();
  }

  List<String> failureSamples() {
    return List.copyOf(failureSamples);
  }

  String summary() {
    return String.format(Locale.ROOT,
        "allowed answered %d, allowed failed %d; refused as expected %d, refused but answered %d;"
            + " flipping hosts answered %d, refused %d",
        allowedAnswered.sum(), allowedFailures.sum(), refusedAsExpected.sum(), refusedAnswered.sum(),
        flippingAnswered.sum(), flippingRefused.sum());
  }
}
