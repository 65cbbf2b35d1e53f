package dev.edgeproxy.sni;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.nio.AbstractNioChannel;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The idle and half-closed timers of one {@link Relay}. Idle means no byte moving in either
 * direction on either socket: a read on either channel counts, and so does progress of a write
 * still queued on either channel (a client downloading slowly, a backend reading an upload slowly),
 * which a per-channel idle handler that counts only completed writes misses.
 *
 * <p>Reads are stamped as they happen; write progress is sampled, {@value #CHECKS_PER_TIMEOUT}
 * times per timeout, from the channels' outbound buffers (the message in flight, its progress and
 * the bytes pending), as Netty's IdleStateHandler does with {@code observeOutput}. A connection is
 * so closed between one and 1 + 1/{@value #CHECKS_PER_TIMEOUT} timeouts after its last byte moved.
 * Runs on the relay's event loop only.
 *
 * <p>Before sampling, a channel with bytes queued is made to try its write ({@link #nudge}): NIO
 * retries a write only when the kernel reports the socket writable, which Linux does once a third
 * of the send buffer is free; with a send buffer autotuned to megabytes and a peer reading at a
 * few hundred KiB/s that takes longer than a short timeout, and a transfer still moving was cut
 * (a partial download, a lost upload, seen end to end). The bytes the kernel already holds stay
 * invisible: once everything is written into the socket, the peer's reading of the last socket
 * buffer's worth is not seen as movement.
 *
 * <p>The epoll transport has no such call; there every proxied socket gets {@code
 * TCP_NOTSENT_LOWAT} ({@value #NOT_SENT_LOW_WATER} bytes) instead, once, when it is made (a child
 * option of the listener, {@link TlsFrontend#applyChildOptions}; an option of the dialer's
 * channels, {@link CandidateDialer}): the kernel then reports a socket writable, and takes more
 * bytes from it, whenever fewer than that many are still unsent, so a slow peer's reading shows as
 * write progress (and the kernel holds less unsent data per socket).
 */
final class RelayTimer {
  static final int CHECKS_PER_TIMEOUT = 4;
  /** Unsent bytes an epoll socket may hold before it stops being writable. */
  static final long NOT_SENT_LOW_WATER = 256 * 1024;

  private final Relay relay;
  private final Channel inbound;
  private final Channel outbound;
  private long idleNanos;
  private long halfClosedNanos;
  private boolean halfClosed;
  private long lastActivity;
  private ScheduledFuture<?> check;
  private final long[] inboundOutput = new long[3];
  private final long[] outboundOutput = new long[3];

  RelayTimer(Relay relay, Channel inbound, Channel outbound) {
    this.relay = relay;
    this.inbound = inbound;
    this.outbound = outbound;
  }

  void start(Duration idleTimeout, Duration halfClosedTimeout) {
    idleNanos = idleTimeout.toNanos();
    halfClosedNanos = halfClosedTimeout.toNanos();
    lastActivity = now();
    outputMoved(inbound, inboundOutput);
    outputMoved(outbound, outboundOutput);
    schedule();
  }

  void activity() {
    lastActivity = now();
  }

  /** One side sent its FIN (or closed): from now on the shorter half-closed timeout applies. */
  void halfClosed() {
    if (!halfClosed) {
      halfClosed = true;
      lastActivity = now(); // the FIN itself moved: the half-closed time counts from it
      if (check != null) {
        check.cancel(false);
        schedule();
      }
    }
  }

  void stop() {
    if (check != null) {
      check.cancel(false);
      check = null;
    }
    idleNanos = 0;
  }

  /** The event loop's clock (the embedded one in tests). */
  private long now() {
    return inbound.eventLoop().ticker().nanoTime();
  }

  private long timeoutNanos() {
    return halfClosed ? Math.min(idleNanos, halfClosedNanos) : idleNanos;
  }

  private void schedule() {
    if (idleNanos == 0) {
      return; // not started, or stopped
    }
    long interval = Math.max(TimeUnit.MILLISECONDS.toNanos(1), timeoutNanos() / CHECKS_PER_TIMEOUT);
    check = inbound.eventLoop().schedule(this::check, interval, TimeUnit.NANOSECONDS);
  }

  private void check() {
    check = null;
    if (!inbound.isOpen() && !outbound.isOpen()) {
      return;
    }
    long now = now();
    nudge(inbound);
    nudge(outbound);
    // Both are sampled every time, so that each keeps its reference point up to date.
    boolean inboundMoved = outputMoved(inbound, inboundOutput);
    boolean outboundMoved = outputMoved(outbound, outboundOutput);
    if (inboundMoved || outboundMoved) {
      lastActivity = now;
    }
    if (now - lastActivity >= timeoutNanos()) {
      relay.idle(halfClosed ? Reason.HALF_CLOSED_TIMEOUT : Reason.IDLE_TIMEOUT);
      return;
    }
    schedule();
  }

  /**
   * Lets a NIO channel with queued bytes write what its socket takes now, instead of waiting for
   * the kernel's writability threshold. The native transports have no such call: there the
   * threshold decides (see the class comment).
   */
  private static void nudge(Channel channel) {
    ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
    if (buffer != null
        && buffer.totalPendingWriteBytes() > 0
        && channel.isActive()
        && channel.unsafe() instanceof AbstractNioChannel.NioUnsafe nio) {
      nio.forceFlush();
    }
  }

  /** Whether {@code channel}'s queued output moved since the last sample in {@code last}. */
  private static boolean outputMoved(Channel channel, long[] last) {
    ChannelOutboundBuffer buffer = channel.unsafe().outboundBuffer();
    long message = 0;
    long progress = 0;
    long pending = 0;
    if (buffer != null) {
      message = System.identityHashCode(buffer.current());
      progress = buffer.currentProgress();
      pending = buffer.totalPendingWriteBytes();
    }
    boolean moved = message != last[0] || progress != last[1] || pending != last[2];
    last[0] = message;
    last[1] = progress;
    last[2] = pending;
    return moved;
  }
}
