package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.e2e.support.AccessLogEntry;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.PacedIo;
import dev.edgeproxy.e2e.support.ProcessFigures;
import dev.edgeproxy.e2e.support.ProxyChecks;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.StubBackend;
import dev.edgeproxy.e2e.support.TlsConnection;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Slow transfers through the real jar on real sockets (issue 8's slow client and slow backend, issue 15's timers).
 *
 * <p>{@link #slowReaderAndSlowBackendKeepMemoryFlat}: a client reads a {@code faults.bigMiB} MiB stream (64 in CI,
 * {@code -Dfaults.bigMiB=1024} for the 1 GiB) at 1 MiB/s from a backend that pours as fast as it can, while
 * another client uploads as much as fast as it can to a backend that reads at 1 MiB/s. Bound: heap after a full GC
 * stays within {@value #HEAP_GROWTH_MIB} MiB of the idle figure and the memory budget's use (what relaying holds in
 * queued writes) within {@value #BUDGET_PEAK_KIB} KiB — the write queue's high-water mark and a read per direction,
 * whatever the size; both streams complete whole, with an {@code idleTimeout} of 5 s that never fires.
 *
 * <p>{@link #slowTransfersAreNotCutByIdleTimeout}: with {@code idleTimeout: 5s}, a download read by the client at 16
 * KiB/s, a download the backend sends at 4 KiB/s and an upload the backend reads at 16 KiB/s each last about 12 s and
 * complete: idle means no byte moving on either socket, not "no write completed on the client's side".
 *
 * <p>{@link #aHalfClosedConnectionToASilentBackendIsFreedAfterHalfClosedTimeout}: a client that sends its FIN to a
 * backend that never answers is closed between {@code halfClosedTimeout} (2 s) and twice that, not after {@code
 * idleTimeout}, with reason {@code half_closed_timeout}.
 */
class SlowTransferE2eTest {

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  static final long MIB = 1 << 20;
  static final long HEAP_GROWTH_MIB = 24;
  static final long BUDGET_PEAK_KIB = 512;
  static final long SAMPLE_EVERY_MILLIS = 8_000;
  static final String IDLE_TIMEOUT = "2s";

  @Test
  void slowReaderAndSlowBackendKeepMemoryFlat(TestReporter reporter) throws Exception {
    long size = Long.getLong("faults.bigMiB", 64) * MIB;
    try (StubBackend fast = dump.watch(StubBackend.pouring(size, 0));
        StubBackend slowSink = dump.watch(StubBackend.sinking(MIB))) {
      EdgeProxyProcess proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
          .pool(new ProxyConfig.Pool("fast", List.of("127.0.0.1:" + fast.port()), "none", null))
          .pool(new ProxyConfig.Pool("sink", List.of("127.0.0.1:" + slowSink.port()), "none", null))
          .route("sink", "sink.example.test")
          .defaultBackend("fast")
          .allow("fast.example.test", "sink.example.test")
          .idleTimeout("10s")
          .leakDetection("simple")));
      ExecutorService clients = Executors.newFixedThreadPool(2);
      try {
        ProcessFigures idle = ProcessFigures.sample(proxy, true);
        long start = System.nanoTime();
        Future<Long> download = clients.submit(() -> {
          try (Socket socket = open(proxy, "fast.example.test")) {
            socket.setReceiveBufferSize(64 * 1024);
            return PacedIo.read(socket.getInputStream(), size, MIB);
          }
        });
        Future<Long> upload = clients.submit(() -> {
          try (Socket socket = open(proxy, "sink.example.test")) {
            return upload(socket, size);
          }
        });
        List<ProcessFigures> during = new ArrayList<>();
        ProcessFigures peak = idle;
        long deadline = start + TimeUnit.SECONDS.toNanos(size / MIB * 3 + 60);
        while (!(download.isDone() && upload.isDone()) && System.nanoTime() < deadline) {
          Future<?> first = download.isDone() ? upload : download;
          awaitQuietly(first, SAMPLE_EVERY_MILLIS);
          ProcessFigures now = ProcessFigures.sample(proxy, true);
          during.add(now);
          peak = peak.max(now);
        }
        long downloaded = download.get(1, TimeUnit.SECONDS);
        long uploaded = upload.get(1, TimeUnit.SECONDS);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        ProcessFigures after = ProcessFigures.sample(proxy, true);
        List<AccessLogEntry> log = proxy.accessLog();

        String figures = String.format(Locale.ROOT, """
            slow transfer: %d MiB read by the client at 1 MiB/s from a fast backend, %d MiB uploaded to a backend \
            reading at 1 MiB/s, both done in %d s
            idle before:  %s
            peak during (%d samples after full GC): %s
            after:        %s
            samples: %s""", downloaded / MIB, uploaded / MIB, seconds, idle, during.size(), peak, after, during);
        System.out.println(figures);
        reporter.publishEntry("slow transfer", figures);

        assertThat(downloaded).as("bytes the slow reader got").isEqualTo(size);
        assertThat(uploaded).as("bytes the slow backend got").isEqualTo(size);
        assertThat(peak.heap() - idle.heap()).as("heap growth after GC").isLessThan(HEAP_GROWTH_MIB * MIB);
        assertThat(peak.budgetUsed()).as("memory budget in use").isLessThanOrEqualTo(BUDGET_PEAK_KIB * 1024);
        assertThat(log).as("no connection cut by idleTimeout")
            .noneMatch(e -> "idle_timeout".equals(e.reason()));
        assertThat(proxy.alive()).isTrue();
      } finally {
        clients.shutdownNow();
        proxy.stop();
      }
    }
  }

  @Test
  void slowTransfersAreNotCutByIdleTimeout(TestReporter reporter) throws Exception {
    long size = Long.getLong("faults.slowMiB", 8) * MIB;
    long rate = Long.getLong("faults.slowKiB", 400) * 1024;
    long trickleSeconds = 10;
    try (StubBackend fast = dump.watch(StubBackend.pouring(size, 0));
        StubBackend trickle = dump.watch(StubBackend.pouring(trickleSeconds * 4 * 1024, 4 * 1024));
        StubBackend slowSink = dump.watch(StubBackend.sinking(rate))) {
      EdgeProxyProcess proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
          .pool(new ProxyConfig.Pool("fast", List.of("127.0.0.1:" + fast.port()), "none", null))
          .pool(new ProxyConfig.Pool("trickle", List.of("127.0.0.1:" + trickle.port()), "none", null))
          .pool(new ProxyConfig.Pool("sink", List.of("127.0.0.1:" + slowSink.port()), "none", null))
          .route("trickle", "trickle.example.test")
          .route("sink", "sink.example.test")
          .defaultBackend("fast")
          .allow("fast.example.test", "trickle.example.test", "sink.example.test")
          .idleTimeout(IDLE_TIMEOUT)
          .leakDetection("simple")));
      ExecutorService clients = Executors.newFixedThreadPool(3);
      try {
        List<Callable<String>> transfers = List.of(
            timed("download read by the client at " + rate / 1024 + " KiB/s", size, () -> {
              try (Socket socket = open(proxy, "fast.example.test")) {
                return PacedIo.read(socket.getInputStream(), size, rate);
              }
            }),
            timed("download sent by the backend at 4 KiB/s", trickleSeconds * 4 * 1024, () -> {
              try (Socket socket = open(proxy, "trickle.example.test")) {
                return PacedIo.read(socket.getInputStream(), trickleSeconds * 4 * 1024, 0);
              }
            }),
            timed("upload read by the backend at " + rate / 1024 + " KiB/s", size, () -> {
              try (Socket socket = open(proxy, "sink.example.test")) {
                upload(socket, size);
              }
              // the backend's count, not its answer: see the class comment on the last socket buffer's worth
              return org.awaitility.Awaitility.await("the backend read the upload").atMost(java.time.Duration.ofMinutes(2))
                  .until(() -> slowSink.sunk().isEmpty() ? null : slowSink.sunk().get(0), n -> n != null);
            }));
        List<String> results = new ArrayList<>();
        for (Future<String> f : clients.invokeAll(transfers, size / rate * 3 + 60, TimeUnit.SECONDS)) {
          results.add(f.get());
        }
        List<String> reasons = proxy.accessLog().stream().map(e -> e.host() + ": " + e.reason()).toList();
        String figures = "slow transfers with idleTimeout " + IDLE_TIMEOUT + ": " + results + "; access log " + reasons;
        System.out.println(figures);
        reporter.publishEntry("idle timeout", figures);
        assertThat(results).as("each transfer whole").allMatch(r -> r.startsWith("complete"));
      } finally {
        clients.shutdownNow();
        proxy.stop();
      }
    }
  }

  @Test
  void aHalfClosedConnectionToASilentBackendIsFreedAfterHalfClosedTimeout(TestReporter reporter) throws Exception {
    try (StubBackend silent = dump.watch(StubBackend.hanging())) {
      EdgeProxyProcess proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
          .pool(new ProxyConfig.Pool("silent", List.of("127.0.0.1:" + silent.port()), "none", null))
          .allow("silent.example.test")
          .idleTimeout("30s")
          .halfClosedTimeout("2s")));
      try (Socket socket = open(proxy, "silent.example.test")) {
        socket.setSoTimeout(60_000);
        org.awaitility.Awaitility.await("the hello relayed to the backend").atMost(java.time.Duration.ofSeconds(10))
            .until(() -> ProxyChecks.firstEndpoint(proxy, "silent").path("active").asInt() == 1);
        long fin = System.nanoTime();
        socket.shutdownOutput();
        int eof = socket.getInputStream().read();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - fin);
        AccessLogEntry entry = proxy.awaitAccessLog(socket.getLocalPort());
        String figures = "half-closed with a silent backend: closed " + millis + " ms after the client's FIN ("
            + "halfClosedTimeout 2s, idleTimeout 30s), read " + eof + ", access log reason " + entry.reason();
        System.out.println(figures);
        reporter.publishEntry("half closed", figures);
        assertThat(eof).as("the proxy closed it").isEqualTo(-1);
        assertThat(millis).as("ms from FIN to close").isBetween(2_000L, 4_000L);
        assertThat(entry.reason()).isEqualTo("half_closed_timeout");
        assertThat(activeConnections(proxy)).isZero();
      } finally {
        proxy.stop();
      }
    }
  }

  /**
   * A client that sends its FIN right after its request (as {@code nc -N} or a one-shot script does) still gets the
   * whole download. On epoll, Netty 4.2.18 drops a socket that waits for no event from its epoll set without noting
   * it; the client's socket waits for nothing once its FIN was read, so the first time the download filled that
   * socket, asking to be told when it drains failed (ENOENT) and the download was cut ({@code io_error}). See {@code
   * EpollInterest} in the router.
   */
  @Test
  void aClientThatHalfClosesAfterItsHelloGetsTheWholeDownload(TestReporter reporter) throws Exception {
    long size = 24 * MIB;
    try (StubBackend fast = dump.watch(StubBackend.pouring(size, 0))) {
      EdgeProxyProcess proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
          .pool(new ProxyConfig.Pool("fast", List.of("127.0.0.1:" + fast.port()), "none", null))
          .allow("fast.example.test")
          .idleTimeout("30s")
          .halfClosedTimeout("60s")));
      try (Socket socket = open(proxy, "fast.example.test")) {
        socket.setReceiveBufferSize(64 * 1024);
        socket.shutdownOutput();
        // Paced, so that the proxy's writes to this client fill its socket again and again.
        long read = PacedIo.read(socket.getInputStream(), size, 64 * MIB);
        int after = socket.getInputStream().read();
        AccessLogEntry entry = proxy.awaitAccessLog(socket.getLocalPort());
        String figures = "half-closed client: read " + read + " of " + size + " bytes, then " + after
            + ", access log reason " + entry.reason();
        System.out.println(figures);
        reporter.publishEntry("half-closed download", figures);
        assertThat(read).as("bytes the half-closed client got").isEqualTo(size);
        assertThat(after).as("end of stream after the download").isEqualTo(-1);
        assertThat(entry.reason()).isNotEqualTo("io_error");
      } finally {
        proxy.stop();
      }
    }
  }

  /** A raw connection to the TLS port that has sent the ClientHello for {@code host}. */
  static Socket open(EdgeProxyProcess proxy, String host) throws Exception {
    byte[] hello = TlsConnection.clientHello(host); // before connecting: the first takes seconds on a loaded machine
    Socket socket = new Socket();
    socket.connect(TlsConnection.loopback(proxy.tlsPort()), 5_000);
    socket.setSoTimeout(60_000);
    OutputStream out = socket.getOutputStream();
    out.write(hello);
    out.flush();
    return socket;
  }

  /** Sends a length, then that many bytes as fast as taken, and returns the count the backend answers. */
  static long upload(Socket socket, long bytes) throws IOException {
    java.io.DataOutputStream out = new java.io.DataOutputStream(socket.getOutputStream());
    out.writeLong(bytes);
    PacedIo.write(out, bytes, 0);
    try {
      return new DataInputStream(socket.getInputStream()).readLong();
    } catch (IOException e) {
      return -1; // no answer: the caller asks the backend what it got
    }
  }

  static long activeConnections(EdgeProxyProcess proxy) throws Exception {
    return (long) dev.edgeproxy.e2e.support.PrometheusText.sum(
        ProxyChecks.metrics(proxy), "edge_connections_active", "");
  }

  /** "complete in N ms" when {@code transfer} moved {@code expected} bytes, else what happened. */
  static Callable<String> timed(String what, long expected, Callable<Long> transfer) {
    return () -> {
      long start = System.nanoTime();
      try {
        long moved = transfer.call();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        return (moved == expected ? "complete" : "CUT after " + moved + " of " + expected + " bytes")
            + ": " + what + " in " + millis + " ms";
      } catch (IOException e) {
        return "FAILED: " + what + " after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms: " + e;
      }
    };
  }

  private static void awaitQuietly(Future<?> future, long millis) throws InterruptedException {
    try {
      future.get(millis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      // done or still running: either way it is time for the next sample
    }
  }
}
