package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * The read-buffer allocator of one epoll channel whose reads a {@link RelaySplice} may take over.
 * Netty asks it for a buffer right before every read of the socket; until a relay attaches a
 * splice, and while that direction has moved fewer than {@link RelaySplice#START_AFTER} bytes, it
 * answers as the channel's usual allocator (Netty's adaptive one), after that it first lets the
 * splice move what the socket holds and then gives the small buffer for Netty's own read (see
 * {@link RelaySplice}). Everything else (read counting, when to stop reading, EOF and errors) stays
 * Netty's. One per channel, set before its first read: Netty keeps the handle of the allocator it
 * found then.
 */
final class SpliceReadAllocator implements MaxMessagesRecvByteBufAllocator {
  private final MaxMessagesRecvByteBufAllocator usual;
  private RelaySplice splice;
  private long bytesRead;

  private SpliceReadAllocator(MaxMessagesRecvByteBufAllocator usual) {
    this.usual = usual;
  }

  /**
   * Gives {@code channel} a splice-capable allocator, where splicing is on and the channel is an
   * epoll stream; call before its first read.
   */
  static void install(Channel channel) {
    if (RelaySplice.ENABLED
        && channel instanceof AbstractEpollStreamChannel
        && channel.config().getRecvByteBufAllocator() instanceof MaxMessagesRecvByteBufAllocator usual
        && !(usual instanceof SpliceReadAllocator)) {
      channel.config().setRecvByteBufAllocator(new SpliceReadAllocator(usual));
    }
  }

  /** The channel's allocator if it is one of these, else null. */
  static SpliceReadAllocator of(Channel channel) {
    return channel.config().getRecvByteBufAllocator() instanceof SpliceReadAllocator reads ? reads : null;
  }

  void splice(RelaySplice splice) {
    this.splice = splice;
  }

  /** The splice attached by a relay, or null. */
  RelaySplice splice() {
    return splice;
  }

  @Override
  public Handle newHandle() {
    return new SpliceHandle((ExtendedHandle) usual.newHandle());
  }

  @Override
  public int maxMessagesPerRead() {
    return usual.maxMessagesPerRead();
  }

  @Override
  public SpliceReadAllocator maxMessagesPerRead(int maxMessagesPerRead) {
    usual.maxMessagesPerRead(maxMessagesPerRead);
    return this;
  }

  private final class SpliceHandle implements ExtendedHandle {
    private final ExtendedHandle usualHandle;

    SpliceHandle(ExtendedHandle usualHandle) {
      this.usualHandle = usualHandle;
    }

    @Override
    public ByteBuf allocate(ByteBufAllocator alloc) {
      if (splice != null && bytesRead >= RelaySplice.START_AFTER) {
        int size = splice.spliceAvailable();
        if (size > 0) {
          return alloc.ioBuffer(size);
        }
      }
      return usualHandle.allocate(alloc);
    }

    @Override
    public void lastBytesRead(int bytes) {
      if (bytes > 0) {
        bytesRead += bytes;
      }
      usualHandle.lastBytesRead(bytes);
    }

    @Override
    public int guess() {
      return usualHandle.guess();
    }

    @Override
    public void reset(ChannelConfig config) {
      usualHandle.reset(config);
    }

    @Override
    public void incMessagesRead(int numMessages) {
      usualHandle.incMessagesRead(numMessages);
    }

    @Override
    public int lastBytesRead() {
      return usualHandle.lastBytesRead();
    }

    @Override
    public void attemptedBytesRead(int bytes) {
      usualHandle.attemptedBytesRead(bytes);
    }

    @Override
    public int attemptedBytesRead() {
      return usualHandle.attemptedBytesRead();
    }

    @Override
    public boolean continueReading() {
      return usualHandle.continueReading();
    }

    @Override
    public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
      return usualHandle.continueReading(maybeMoreDataSupplier);
    }

    @Override
    public void readComplete() {
      usualHandle.readComplete();
    }
  }
}
