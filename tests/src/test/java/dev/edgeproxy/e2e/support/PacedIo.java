package dev.edgeproxy.e2e.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.locks.LockSupport;

/**
 * Reading and writing a stream at a set rate, as a slow client or a slow backend does: chunks of at most 16 KiB, each
 * sent or taken no earlier than the rate allows. The waits are the rate itself, not stand-ins for events.
 */
public final class PacedIo {

  public static final int CHUNK_BYTES = 16 * 1024;

  private PacedIo() {}

  /** Writes {@code total} bytes (a counting pattern) at {@code bytesPerSecond}, 0 meaning as fast as taken. */
  public static void write(OutputStream out, long total, long bytesPerSecond) throws IOException {
    byte[] chunk = new byte[chunkFor(bytesPerSecond)];
    for (int i = 0; i < chunk.length; i++) {
      chunk[i] = (byte) i;
    }
    long start = System.nanoTime();
    for (long written = 0; written < total; ) {
      int n = (int) Math.min(chunk.length, total - written);
      awaitTurn(start, written, bytesPerSecond);
      out.write(chunk, 0, n);
      written += n;
    }
    out.flush();
  }

  /**
   * Reads {@code limit} bytes, or fewer when EOF comes first, at {@code bytesPerSecond} (0: as fast as they come).
   *
   * @return the bytes read
   */
  public static long read(InputStream in, long limit, long bytesPerSecond) throws IOException {
    byte[] buffer = new byte[chunkFor(bytesPerSecond)];
    long start = System.nanoTime();
    long read = 0;
    while (read < limit) {
      awaitTurn(start, read, bytesPerSecond);
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - read));
      if (n < 0) {
        return read;
      }
      read += n;
    }
    return read;
  }

  /** At most an eighth of a second's worth, so that a slow rate still moves bytes several times a second. */
  private static int chunkFor(long bytesPerSecond) {
    return bytesPerSecond > 0 ? (int) Math.min(CHUNK_BYTES, Math.max(512, bytesPerSecond / 8)) : CHUNK_BYTES;
  }

  /** Parks until {@code done} bytes are due at {@code bytesPerSecond} since {@code start}. */
  private static void awaitTurn(long start, long done, long bytesPerSecond) {
    if (bytesPerSecond <= 0) {
      return;
    }
    long due = start + (long) (done * 1e9 / bytesPerSecond);
    for (long wait; (wait = due - System.nanoTime()) > 0; ) {
      LockSupport.parkNanos(wait);
    }
  }
}
