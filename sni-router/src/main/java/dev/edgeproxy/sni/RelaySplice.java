package dev.edgeproxy.sni;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.DefaultMessageSizeEstimator;
import io.netty.channel.MessageSizeEstimator;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One direction of a {@link Relay} on epoll moved with splice(2): from the source socket into a
 * pipe and from the pipe into the target socket, so the bytes never enter the JVM (no copy into a
 * buffer and out of it). A direction starts copying as before and takes a pipe once it has moved
 * {@value #START_AFTER} bytes: handshakes and small exchanges never cost the two descriptors and
 * three system calls of a pipe.
 *
 * <p>It runs inside Netty's read loop ({@link SpliceReadAllocator}): before each read of the
 * source, {@link #spliceAvailable} moves what the socket holds, and the read Netty then makes finds
 * the socket empty (EAGAIN), at its end (EOF: Netty passes the half-close on as before, after every
 * byte), or, when the pipe or the target is full, bytes that take the copy path as before. Splice
 * cannot tell EAGAIN from EOF (both return 0); that read does.
 *
 * <p>While nothing is queued for the target, pipe bytes go straight on to its socket; what the
 * socket does not take stays in the pipe and is queued as a {@link SpliceRegion} in the target's
 * outbound buffer, after which everything is queued in order until the buffer is empty again. The
 * regions count in the target's writability ({@link #SIZE_ESTIMATOR}), so the relay's
 * backpressure (the source stops reading while the target is not writable) is unchanged, and a
 * pipe never holds more than {@value #PIPE_BYTES} bytes (its default capacity): the kernel's
 * memory per spliced direction is bounded by that on top of the two sockets' buffers.
 *
 * <p>Pipes are descriptors: at most {@value #PIPE_LIMIT} are open in the process (a direction that
 * finds none free, or whose pipe cannot be made, keeps copying), which keeps them within the 4,096
 * descriptors the unit allows beyond two per connection, and within the kernel's default per-user
 * pipe allowance ({@code fs.pipe-user-pages-soft}, 16,384 pages: 1,024 pipes of 16 pages).
 *
 * <p>Event loop only (the source's, which is the target's).
 */
final class RelaySplice {
  /**
   * {@code -Dedgeproxy.splice=on} turns splicing on; off by default: in quiet A/B runs it cut the
   * CPU per GB by about 15 % but made a single large download slower (README "Zero-copy relay").
   */
  static final boolean ENABLED = "on".equalsIgnoreCase(System.getProperty("edgeproxy.splice", "off"));

  static final int START_AFTER = 64 * 1024;
  static final int PIPE_BYTES = 64 * 1024;
  /** Bytes one read event moves at most, so that one busy connection does not hold up the loop. */
  static final int MAX_PER_READ = 1024 * 1024;
  /** The buffer of the read that follows a splice (see the class comment). */
  static final int READ_AFTER_SPLICE = 4096;
  static final int PIPE_LIMIT = 1024;

  private static final AtomicInteger PIPES_OPEN = new AtomicInteger();

  /** Counts a queued region as its bytes, so that it weighs in the target's writability. */
  static final MessageSizeEstimator SIZE_ESTIMATOR =
      new MessageSizeEstimator() {
        private final Handle defaults = DefaultMessageSizeEstimator.DEFAULT.newHandle();
        private final Handle handle =
            msg -> msg instanceof SpliceRegion region ? (int) region.count() : defaults.size(msg);

        @Override
        public Handle newHandle() {
          return handle;
        }
      };

  private final Relay relay;
  private final AbstractEpollStreamChannel source;
  private final AbstractEpollStreamChannel target;
  private FileDescriptor pipeRead;
  private FileDescriptor pipeWrite;
  /** No pipe could be had, or the target closed: this direction copies from now on. */
  private boolean unavailable;
  private int inPipe;
  private long spliced;

  private RelaySplice(Relay relay, AbstractEpollStreamChannel source, AbstractEpollStreamChannel target) {
    this.relay = relay;
    this.source = source;
    this.target = target;
  }

  /**
   * Lets both directions of {@code relay} splice once they are busy, where both channels are epoll
   * streams whose reads go through a {@link SpliceReadAllocator}; other pairs keep copying.
   */
  static void attach(Relay relay, Channel inbound, Channel outbound) {
    if (!ENABLED
        || !(inbound instanceof AbstractEpollStreamChannel client)
        || !(outbound instanceof AbstractEpollStreamChannel backend)) {
      return;
    }
    attach(relay, client, backend);
    attach(relay, backend, client);
  }

  private static void attach(Relay relay, AbstractEpollStreamChannel source, AbstractEpollStreamChannel target) {
    SpliceReadAllocator reads = SpliceReadAllocator.of(source);
    if (reads != null) {
      target.config().setMessageSizeEstimator(SIZE_ESTIMATOR);
      reads.splice(new RelaySplice(relay, source, target));
    }
  }

  /** Bytes this direction moved through its pipe so far. */
  long splicedBytes() {
    return spliced;
  }

  /**
   * Moves what the source socket holds towards the target, as far as the pipe and the target take
   * it. Returns the size of the buffer for the read that follows, or 0 when this direction cannot
   * splice (the read then copies as before). An I/O error of either socket is thrown unchecked, so
   * that Netty's read loop reports it to the pipeline as a read error (the relay closes both).
   */
  int spliceAvailable() {
    if (!pipeReady()) {
      return 0;
    }
    int moved = 0;
    try {
      while (moved < MAX_PER_READ) {
        int room = PIPE_BYTES - inPipe;
        if (room <= 0) {
          break; // the target has not taken the pipe's bytes yet
        }
        boolean direct = inPipe == 0 && nothingQueued();
        int in = Native.splice(source.fd().intValue(), -1, pipeWrite.intValue(), -1, room);
        if (in <= 0) {
          break; // socket empty or at its end, or the pipe out of slots
        }
        moved += in;
        inPipe += in;
        if (direct) {
          inPipe -= Native.splice(pipeRead.intValue(), -1, target.fd().intValue(), -1, inPipe);
          if (inPipe > 0) {
            relay.writeRegion(target, new SpliceRegion(this, inPipe)); // the socket is full
            break;
          }
        } else {
          relay.writeRegion(target, new SpliceRegion(this, in));
          if (!target.isWritable()) {
            break;
          }
        }
        if (in < room) {
          break; // the socket had no more
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (moved > 0) {
        spliced += moved;
        relay.spliced(source, moved);
      }
    }
    return READ_AFTER_SPLICE;
  }

  /** Bytes in the pipe that the target has not taken yet (tests). */
  int bytesInPipe() {
    return inPipe;
  }

  /** Moves up to {@code max} bytes from the pipe to the target socket (a queued region's write). */
  long drain(long max) throws IOException {
    if (unavailable) {
      throw new IOException("relay pipe closed");
    }
    int out = Native.splice(pipeRead.intValue(), -1, target.fd().intValue(), -1, max);
    inPipe -= out;
    return out;
  }

  private boolean nothingQueued() {
    ChannelOutboundBuffer queue = target.unsafe().outboundBuffer();
    // Every entry, flushed or not, weighs at least its overhead.
    return queue != null && queue.totalPendingWriteBytes() == 0;
  }

  private boolean pipeReady() {
    if (pipeWrite != null) {
      return !unavailable;
    }
    if (unavailable || !target.isActive() || !source.isActive()) {
      return false;
    }
    if (PIPES_OPEN.incrementAndGet() > PIPE_LIMIT) {
      PIPES_OPEN.decrementAndGet();
      unavailable = true;
      return false;
    }
    FileDescriptor[] pipe;
    try {
      pipe = FileDescriptor.pipe();
    } catch (IOException e) {
      PIPES_OPEN.decrementAndGet(); // out of descriptors or pipe pages: keep copying
      unavailable = true;
      return false;
    }
    pipeRead = pipe[0];
    pipeWrite = pipe[1];
    // The last region drains into the target: the pipe lives as long as it does.
    target.closeFuture().addListener(closed -> closePipe());
    return true;
  }

  private void closePipe() {
    unavailable = true;
    PIPES_OPEN.decrementAndGet();
    closeQuietly(pipeRead);
    closeQuietly(pipeWrite);
  }

  private static void closeQuietly(FileDescriptor fd) {
    try {
      fd.close();
    } catch (IOException ignored) {
      // Closing a pipe end fails only for a bad descriptor: nothing left to release.
    }
  }

  /** Pipes open in the process (tests). */
  static int pipesOpen() {
    return PIPES_OPEN.get();
  }
}
