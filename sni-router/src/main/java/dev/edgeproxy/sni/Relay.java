package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DuplexChannel;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * The state both {@link RelayHandler}s of one forwarded connection share: which side stopped
 * sending, how the pair ends, the bytes it queues for a peer (counted in the listener's {@link
 * MemoryBudget}; the relay can be shed while a peer is not taking them) and, once {@link
 * #startTimers} ran, when it has been idle too long. Both channels live on the same event loop, so
 * no locks; only the budget's shedding reads {@link #heldBytes()} and {@link #stalledSinceNanos()}
 * from another thread.
 */
final class Relay implements ConnectionHandle, MemoryBudget.Sheddable {
  private final Channel inbound;
  private final Channel outbound;
  private final ConnectionTracker tracker;
  /** Output shut down after the other side's input ended: one per direction. */
  private boolean inboundOutputShut;
  private boolean outboundOutputShut;
  private final MemoryBudget budget;
  /** Bytes written to either channel and not yet written out by it (or failed). */
  private volatile long queued;
  /** When a peer last stopped taking bytes; 0 while both are writable. */
  private volatile long stalledSince;
  private final RelayTimer timer;

  /**
   * Bytes queued for a peer at which its sender stops reading, and below which it reads again.
   * Netty's default high mark (64 KiB) is one full read (its adaptive allocator reads at most 64
   * KiB at once), so every full read made the peer unwritable for a moment even when its socket
   * took the bytes at once: reading turned off and on again (two {@code epoll_ctl}) and stopped
   * for the wake-up. With room for two reads, only a socket that really stopped taking bytes stops
   * the reading; at most this plus one read is queued per direction, counted in the budget.
   */
  static final WriteBufferWaterMark QUEUED_BYTES = new WriteBufferWaterMark(64 * 1024, 160 * 1024);

  Relay(Channel inbound, Channel outbound, ConnectionTracker tracker) {
    this.inbound = inbound;
    this.outbound = outbound;
    inbound.config().setWriteBufferWaterMark(QUEUED_BYTES);
    outbound.config().setWriteBufferWaterMark(QUEUED_BYTES);
    this.tracker = tracker;
    this.budget = MemoryBudget.of(inbound);
    this.timer = new RelayTimer(this, inbound, outbound);
    inbound.closeFuture().addListener(f -> budget.unstalled(this));
  }

  /**
   * Puts the relay in place of the handler that made the backend connection: the backend's side
   * last in its pipeline, the client's side instead of {@code connector}. Writes {@code first}
   * (the client's bytes read so far) to the backend and flushes it, in the same flush as whatever
   * the dialer wrote before it (the PROXY header). The connector counted {@code first} in the budget
   * as {@code firstReserved} bytes: the relay takes that reservation over, so that the bytes stay
   * counted once, without a gap, until the backend's socket took them.
   */
  void install(ChannelHandlerContext connector, ByteBuf first, long firstReserved) {
    // The backend has not read yet (reads are off until startReading): its allocator can change.
    SpliceReadAllocator.install(outbound);
    RelaySplice.attach(this, inbound, outbound);
    outbound.pipeline().addLast(PipelineNames.RELAY, backendSide());
    queue(outbound, first, firstReserved);
    outbound.flush();
    connector.pipeline().replace(connector.handler(), PipelineNames.RELAY, clientSide());
  }

  /** The handler for the client channel's pipeline (what it reads counts as bytesIn). */
  RelayHandler clientSide() {
    return new RelayHandler(this, true);
  }

  /** The handler for the backend channel's pipeline (what it reads counts as bytesOut). */
  RelayHandler backendSide() {
    return new RelayHandler(this, false);
  }

  /**
   * Once both handlers are in place: reads start on each side as far as the other can take bytes;
   * a client FIN that arrived before is passed on now.
   */
  void startReading(boolean clientInputShutdown) {
    if (clientInputShutdown) {
      inputShutdown(inbound);
    } else {
      readWhile(inbound, outbound.isWritable());
    }
    readWhile(outbound, inbound.isWritable());
  }

  /**
   * Turns {@code channel}'s reading on or off, as its peer can take bytes or not; never on once its
   * input has ended or it is closed. Netty's epoll transport then still asks the kernel to watch
   * the socket ({@code epoll_ctl}), and that failed under load for a client that had half-closed
   * (ENOENT; the client was cut before the backend's answer, TlsFrontendSocketTest's
   * slowBackendStopsReadingTheClient); there is nothing left to read from such a socket anyway.
   */
  void readWhile(Channel channel, boolean peerWritable) {
    if (!peerWritable) {
      channel.config().setAutoRead(false);
    } else if (channel.isActive()
        && !(channel instanceof DuplexChannel duplex && duplex.isInputShutdown())) {
      channel.config().setAutoRead(true);
    }
  }

  /**
   * Closes the pair once no byte has moved either way on either socket for {@code idleTimeout}, or
   * for {@code halfClosedTimeout} once either side has sent its FIN. Without it (the HTTP listener's
   * tunnels) the pipeline's own idle handler decides, through {@link #idle()}.
   */
  void startTimers(Duration idleTimeout, Duration halfClosedTimeout) {
    timer.start(idleTimeout, halfClosedTimeout);
  }

  /** Bytes arrived on either channel. */
  void readActivity() {
    timer.activity();
  }

  /**
   * Writes {@code msg} to {@code to}, counting its bytes in the budget until they are written out.
   * A failed write closes both, as a write error is an I/O error on that socket.
   */
  void write(Channel to, Object msg) {
    if (!(msg instanceof ByteBuf bytes) || !bytes.isReadable()) {
      to.write(msg, to.voidPromise());
      return;
    }
    long n = bytes.readableBytes();
    budget.reserve(n);
    queue(to, bytes, n);
  }

  /** Writes {@code bytes}, counted as {@code reserved} budget bytes until written out (or failed). */
  private void queue(Channel to, ByteBuf bytes, long reserved) {
    queued += reserved;
    to.write(bytes)
        .addListener(
            (ChannelFutureListener)
                written -> {
                  queued -= reserved;
                  budget.release(reserved);
                  if (!written.isSuccess()) {
                    failed();
                  }
                });
  }

  /** A {@link RelaySplice} moved {@code bytes} from {@code source}: counted as a read of them. */
  void spliced(Channel source, int bytes) {
    timer.activity();
    if (source == inbound) {
      tracker.countIn(bytes);
    } else {
      tracker.countOut(bytes);
    }
  }

  /**
   * Queues spliced bytes the target socket did not take at once. They are in a pipe, not in
   * direct memory: not counted in the budget (the pipe bounds them, see {@link RelaySplice}).
   */
  void writeRegion(Channel to, SpliceRegion region) {
    to.write(region)
        .addListener(
            (ChannelFutureListener)
                written -> {
                  if (!written.isSuccess()) {
                    failed();
                  }
                });
  }

  /** A channel's writability changed: a relay whose peer does not take bytes can be shed. */
  void writabilityChanged() {
    boolean blocked = !inbound.isWritable() || !outbound.isWritable();
    if (blocked && stalledSince == 0 && inbound.isActive()) {
      stalledSince = System.nanoTime();
      budget.stalled(this);
    } else if (!blocked && stalledSince != 0) {
      stalledSince = 0;
      budget.unstalled(this);
    }
  }

  @Override
  public long stalledSinceNanos() {
    return stalledSince;
  }

  @Override
  public long heldBytes() {
    return queued;
  }

  @Override
  public Executor executor() {
    return inbound.eventLoop();
  }

  @Override
  public boolean shed() {
    if (stalledSince == 0) {
      return false; // both peers took their bytes again since the budget chose it: not stalled
    }
    tracker.closeReason(Reason.MEMORY_SHED);
    closeBoth(); // fails the queued writes, which gives their bytes back
    return true;
  }

  ConnectionTracker tracker() {
    return tracker;
  }

  Channel peerOf(Channel channel) {
    return channel == inbound ? outbound : inbound;
  }

  /** {@code source} will send nothing more: pass the FIN on once what it sent is flushed. */
  void inputShutdown(Channel source) {
    timer.halfClosed();
    Channel peer = peerOf(source);
    if (!peer.isActive()) {
      // Nothing can be relayed either way any more.
      LingeringClose.close(source);
      return;
    }
    if (!(peer instanceof DuplexChannel duplex)) {
      LingeringClose.closeOnFlush(peer);
      return;
    }
    // shutdownOutput fails writes still queued, so it waits for them: writes complete in order.
    peer.writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(
            (ChannelFutureListener)
                flushed -> {
                  if (!flushed.isSuccess() || outputShut(source)) {
                    // Failed, or the other direction ended before: both are done, and a close
                    // sends the FIN (nothing is left unread) without shutdownOutput's cost
                    // (Netty builds an exception with its stack trace for every output shutdown).
                    closeBoth();
                    return;
                  }
                  duplex.shutdownOutput().addListener((ChannelFutureListener) shut -> outputShut(peer, shut.isSuccess()));
                });
  }

  /** Whether {@code channel}'s output was shut down after its peer's input ended. */
  private boolean outputShut(Channel channel) {
    return channel == inbound ? inboundOutputShut : outboundOutputShut;
  }

  private void outputShut(Channel channel, boolean success) {
    if (!success) {
      closeBoth();
      return;
    }
    if (channel == inbound) {
      inboundOutputShut = true;
    } else {
      outboundOutputShut = true;
    }
    if (inboundOutputShut && outboundOutputShut) {
      closeBoth(); // both directions are done
    }
  }

  /** One side is gone: let the other receive what is already queued for it, then close it. */
  void inactive(Channel channel) {
    timer.halfClosed(); // what is left is flushing to the other side: bounded like a half-close
    LingeringClose.close(peerOf(channel));
  }

  /** No bytes either way for the idle timeout (or the half-closed timeout after a FIN). */
  void idle() {
    idle(Reason.IDLE_TIMEOUT);
  }

  void idle(Reason reason) {
    tracker.closeReason(reason);
    closeBoth();
  }

  void failed() {
    tracker.closeReason(Reason.IO_ERROR);
    closeBoth();
  }

  /** Safe from any thread: hops to the connection's event loop. */
  @Override
  public void close(Reason reason) {
    if (inbound.eventLoop().inEventLoop()) {
      tracker.closeReason(reason);
      closeBoth();
    } else {
      inbound.eventLoop().execute(() -> close(reason));
    }
  }

  void closeBoth() {
    timer.stop();
    inbound.close();
    outbound.close();
  }
}
