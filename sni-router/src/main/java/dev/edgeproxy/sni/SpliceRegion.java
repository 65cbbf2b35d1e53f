package dev.edgeproxy.sni;

import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;

/**
 * Bytes a {@link RelaySplice} moved into its pipe that its target socket did not take at once,
 * queued in the target channel's outbound buffer like any write. The epoll transport writes a
 * {@link FileRegion} by calling {@link #transferTo} whenever the socket is writable (and asks the
 * kernel for {@code EPOLLOUT} while it returns 0), so the pipe drains into the socket in order with
 * the bytes written before and after it, with Netty's own write-readiness handling. The channel
 * argument of {@code transferTo} is not used: the bytes go from the pipe straight to the socket.
 */
final class SpliceRegion extends AbstractReferenceCounted implements FileRegion {
  private final RelaySplice splice;
  private final long count;
  private long transferred;

  SpliceRegion(RelaySplice splice, long count) {
    this.splice = splice;
    this.count = count;
  }

  @Override
  public long position() {
    return 0;
  }

  @Override
  @Deprecated
  public long transfered() {
    return transferred;
  }

  @Override
  public long transferred() {
    return transferred;
  }

  @Override
  public long count() {
    return count;
  }

  @Override
  public long transferTo(WritableByteChannel target, long position) throws IOException {
    long moved = splice.drain(count - transferred);
    transferred += moved;
    return moved;
  }

  @Override
  public SpliceRegion retain() {
    super.retain();
    return this;
  }

  @Override
  public SpliceRegion retain(int increment) {
    super.retain(increment);
    return this;
  }

  @Override
  public SpliceRegion touch() {
    return this;
  }

  @Override
  public SpliceRegion touch(Object hint) {
    return this;
  }

  @Override
  protected void deallocate() {
    // The pipe belongs to the RelaySplice, which closes it with the target channel.
  }
}
