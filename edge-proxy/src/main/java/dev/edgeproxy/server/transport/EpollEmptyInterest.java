package dev.edgeproxy.server.transport;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * Netty's epoll I/O handler with one defect worked around: a socket that waits for no event is
 * kept in the epoll set, so that waiting for one again works.
 *
 * <p>Netty 4.2.18 (and 4.2.20, read in its bytecode) deletes a registered socket from the epoll set
 * ({@code EPOLL_CTL_DEL}) when its channel submits an empty interest, but keeps the registration
 * marked as added, so the next interest is submitted with {@code EPOLL_CTL_MOD}, which the kernel
 * refuses (ENOENT); the channel then fails its write and closes. A relayed socket waits for nothing
 * once its peer's FIN was read and nothing is queued for it, so a client that half-closes and then
 * downloads more than a socket buffer had the download cut ({@code SlowTransferE2eTest}).
 *
 * <p>Netty deletes the socket because a socket in the set with no interest still reports {@code
 * EPOLLHUP}/{@code EPOLLERR}, level-triggered, and would wake the loop until it is closed. An
 * interest of {@code EPOLLET} alone has neither problem: the socket stays in the set, so the next
 * interest is a valid modification, and hang-ups and errors are reported once per change, as with
 * Netty 4.1's always edge-triggered sockets. A channel that never had an interest is passed through
 * untouched (Netty adds it to the set only with its first interest).
 */
final class EpollEmptyInterest implements IoHandler {
  private final IoHandler epoll;

  private EpollEmptyInterest(IoHandler epoll) {
    this.epoll = epoll;
  }

  static IoHandlerFactory newFactory() {
    IoHandlerFactory epoll = EpollIoHandler.newFactory();
    return new IoHandlerFactory() {
      @Override
      public IoHandler newHandler(ThreadAwareExecutor executor) {
        return new EpollEmptyInterest(epoll.newHandler(executor));
      }

      @Override
      public boolean isChangingThreadSupported() {
        return epoll.isChangingThreadSupported();
      }
    };
  }

  @Override
  public IoRegistration register(IoHandle handle) throws Exception {
    return new Registration(epoll.register(handle));
  }

  @Override
  public void initialize() {
    epoll.initialize();
  }

  @Override
  public int run(IoHandlerContext context) {
    return epoll.run(context);
  }

  @Override
  public void prepareToDestroy() {
    epoll.prepareToDestroy();
  }

  @Override
  public void destroy() {
    epoll.destroy();
  }

  @Override
  public void wakeup() {
    epoll.wakeup();
  }

  @Override
  public boolean isCompatible(Class<? extends IoHandle> handleType) {
    return epoll.isCompatible(handleType);
  }

  /** One socket's registration; interests are submitted on its event loop only. */
  private static final class Registration implements IoRegistration {
    private final IoRegistration epoll;
    /** Whether Netty has added the socket to the epoll set (its first non-empty interest). */
    private boolean added;

    Registration(IoRegistration epoll) {
      this.epoll = epoll;
    }

    @Override
    public long submit(IoOps ops) {
      if (((EpollIoOps) ops).value() != 0) {
        added = true;
        return epoll.submit(ops);
      }
      if (!added) {
        return epoll.submit(ops);
      }
      long submitted = epoll.submit(EpollIoOps.EPOLLET);
      return submitted < 0 ? submitted : 0; // -1: cancelled, as Netty answers
    }

    @Override
    public <T> T attachment() {
      return epoll.attachment();
    }

    @Override
    public boolean isValid() {
      return epoll.isValid();
    }

    @Override
    public boolean cancel() {
      return epoll.cancel();
    }
  }
}
