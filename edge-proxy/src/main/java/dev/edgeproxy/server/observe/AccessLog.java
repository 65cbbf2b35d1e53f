package dev.edgeproxy.server.observe;

import dev.edgeproxy.sni.ConnectionRecord;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per finished connection (JSON or text), written by a dedicated thread so an event loop
 * never waits on a disk or a pipe. When the writer falls behind by more than the queue holds, lines
 * are dropped and counted rather than stalling traffic.
 */
public final class AccessLog implements AutoCloseable {
  public enum Format {
    JSON,
    TEXT,
    NONE
  }

  private static final Logger log = LoggerFactory.getLogger(AccessLog.class);
  private static final int QUEUE_CAPACITY = 65_536;
  private static final ConnectionRecord POISON =
      new ConnectionRecord(null, null, null, null, null, null, 0, 0, 0);

  private final Format format;
  private final BlockingQueue<ConnectionRecord> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
  private final AtomicLong dropped = new AtomicLong();
  private final BufferedWriter out;
  private final Thread writer;

  private AccessLog(Format format, OutputStream stream) {
    this.format = format;
    this.out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 16);
    this.writer = new Thread(this::drainLoop, "access-log");
    this.writer.setDaemon(true);
    if (format != Format.NONE) {
      writer.start();
    }
  }

  /** Writes to {@code path} (appending, created if missing) or, when null, to standard output. */
  public static AccessLog open(Format format, Path path) throws IOException {
    if (path == null) {
      return new AccessLog(format, new NonClosingStream(System.out));
    }
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    return new AccessLog(
        format,
        Files.newOutputStream(path, StandardOpenOption.CREATE, StandardOpenOption.APPEND));
  }

  /** Never blocks: safe on an event loop. */
  void record(ConnectionRecord record) {
    if (format == Format.NONE) {
      return;
    }
    if (!queue.offer(record)) {
      dropped.incrementAndGet();
    }
  }

  long dropped() {
    return dropped.get();
  }

  private void drainLoop() {
    List<ConnectionRecord> batch = new ArrayList<>(256);
    try {
      while (true) {
        ConnectionRecord first = queue.poll(1, TimeUnit.SECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, 255);
        boolean stop = false;
        for (ConnectionRecord r : batch) {
          if (r == POISON) {
            stop = true;
          } else {
            out.write(format == Format.JSON ? json(r) : text(r));
            out.write('\n');
          }
        }
        batch.clear();
        out.flush();
        if (stop) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.error("access log write failed; access logging stops: {}", e.toString());
    }
  }

  /** Writes what is queued, then stops the writer. */
  @Override
  public void close() {
    if (format == Format.NONE) {
      return;
    }
    try {
      queue.put(POISON);
      writer.join(TimeUnit.SECONDS.toMillis(5));
      out.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.warn("closing access log: {}", e.toString());
    }
    long lost = dropped.get();
    if (lost > 0) {
      log.warn("access log dropped {} lines because the writer fell behind", lost);
    }
  }

  static String json(ConnectionRecord r) {
    StringBuilder sb = new StringBuilder(320);
    sb.append("{\"time\":\"")
        .append(DateTimeFormatter.ISO_INSTANT.format(Instant.now()))
        .append('"');
    field(sb, "id", r.connection().id());
    field(sb, "listener", r.connection().listener());
    field(sb, "client", r.connection().client().getAddress().getHostAddress());
    sb.append(",\"clientPort\":").append(r.connection().client().getPort());
    field(sb, "host", r.host());
    field(sb, "decision", r.decision().wireName());
    field(sb, "reason", r.reason() == null ? null : r.reason().wireName());
    field(sb, "pool", r.pool());
    field(sb, "endpoint", r.endpoint());
    sb.append(",\"bytesIn\":").append(r.bytesIn());
    sb.append(",\"bytesOut\":").append(r.bytesOut());
    sb.append(",\"durationMs\":").append(TimeUnit.NANOSECONDS.toMillis(r.durationNanos()));
    return sb.append('}').toString();
  }

  static String text(ConnectionRecord r) {
    return DateTimeFormatter.ISO_INSTANT.format(Instant.now())
        + " id="
        + r.connection().id()
        + " listener="
        + r.connection().listener()
        + " client="
        + r.connection().client().getAddress().getHostAddress()
        + ":"
        + r.connection().client().getPort()
        + " host="
        + textValue(r.host())
        + " decision="
        + r.decision().wireName()
        + " reason="
        + (r.reason() == null ? "-" : r.reason().wireName())
        + " pool="
        + orDash(r.pool())
        + " endpoint="
        + orDash(r.endpoint())
        + " bytesIn="
        + r.bytesIn()
        + " bytesOut="
        + r.bytesOut()
        + " durationMs="
        + TimeUnit.NANOSECONDS.toMillis(r.durationNanos());
  }

  private static String orDash(String s) {
    return s == null ? "-" : s;
  }

  /**
   * The host comes from the client (SNI, Host header): every byte that could end the line, split a
   * field or fool a terminal (controls, space, anything outside printable ASCII) is written as an
   * escape, so one record stays one line of {@code key=value} fields. The admin endpoint quotes
   * request paths in its log the same way.
   */
  public static String textValue(String s) {
    if (s == null) {
      return "-";
    }
    StringBuilder sb = new StringBuilder(s.length() + 8);
    escape(sb, s, false);
    return sb.toString();
  }

  /**
   * Both formats: backslash, CR, LF and tab as {@code \\ \r \n \t}; other controls and anything
   * past ASCII as {@code \\uHHHH} (JSON; the line stays valid, lone surrogates included) or {@code
   * \\xHH} (text, {@code \\uHHHH} past Latin-1); in text also the space, which separates fields.
   */
  private static void escape(StringBuilder sb, String value, boolean json) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '"' -> sb.append(json ? "\\\"" : "\"");
        default -> {
          if ((c > 0x20 && c < 0x7f) || (json && c == ' ')) {
            sb.append(c);
          } else if (!json && c <= 0xff) {
            sb.append(String.format("\\x%02x", (int) c));
          } else {
            sb.append(String.format("\\u%04x", (int) c));
          }
        }
      }
    }
  }

  /** Absent values are left out, as the spec says for {@code host}. */
  private static void field(StringBuilder sb, String key, String value) {
    if (value == null) {
      return;
    }
    sb.append(",\"").append(key).append("\":\"");
    escape(sb, value, true);
    sb.append('"');
  }

  /** Standard output must stay open for the rest of the process's logging. */
  private static final class NonClosingStream extends java.io.FilterOutputStream {
    NonClosingStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
