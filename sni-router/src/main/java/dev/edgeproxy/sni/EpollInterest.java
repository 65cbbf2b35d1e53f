package dev.edgeproxy.sni;

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
 * Netty's epoll I/O handler with the kernel interest the data path needs: the event loops of the
 * epoll transport run this, so that the relay's bounds and half-closure hold. Two of Netty 4.2.18's
 * choices are changed (4.2.20's bytecode is the same); Netty's channels keep their own view of
 * their interest, only what the kernel is asked to watch differs.
 *
 * <p><b>A socket waiting for nothing stays in the epoll set.</b> Netty deletes a registered socket
 * from the set ({@code EPOLL_CTL_DEL}) when its channel submits an empty interest, but keeps the
 * registration marked as added, so the next interest is submitted with {@code EPOLL_CTL_MOD}, which
 * the kernel refuses (ENOENT); the channel then fails its write and closes. A relayed socket waits
 * for nothing once its peer's FIN was read and nothing is queued for it, so a client that
 * half-closed and then downloaded more than a socket buffer had the download cut. Netty deletes the
 * socket because one in the set with no interest still reports {@code EPOLLHUP}/{@code EPOLLERR},
 * level-triggered, and would wake the loop until closed; an interest of {@code EPOLLET} alone keeps
 * it in the set and reports those once per change.
 *
 * <p><b>The peer's FIN is found by reading, not by {@code EPOLLRDHUP}.</b> When Netty sees {@code
 * EPOLLRDHUP} it reads the socket to its end in one go, whether reading is switched off or not
 * ({@code EpollRecvByteAllocatorHandle.continueReading}). A relay that had stopped reading a peer
 * at its high-water mark then took the whole receive buffer (megabytes, as the kernel tunes it) into
 * memory as soon as that peer sent its FIN: a client that never reads, fetching from a backend that
 * answers and closes, held 1.8 MiB where the bound is 224 KiB ({@code RelayFinTest}). Without {@code
 * EPOLLRDHUP} the FIN is read after the bytes before it, as reading goes on ({@code read} returns
 * its end), as with Netty's NIO transport; like nginx and HAProxy, nothing is read past the
 * relay's buffer because a FIN came.
 */
public final class EpollInterest implements IoHandler {
  private static final int EPOLLRDHUP = EpollIoOps.EPOLLRDHUP.value();

  private final IoHandler epoll;

  private EpollInterest(IoHandler epoll) {
    this.epoll = epoll;
  }

  /** The factory of the data path's epoll loops. */
  public static IoHandlerFactory newFactory() {
    IoHandlerFactory epoll = EpollIoHandler.newFactory();
    return new IoHandlerFactory() {
      @Override
      public IoHandler newHandler(ThreadAwareExecutor executor) {
        return new EpollInterest(epoll.newHandler(executor));
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
      int interest = ((EpollIoOps) ops).value() & ~EPOLLRDHUP;
      if (interest != 0) {
        long submitted = epoll.submit(EpollIoOps.valueOf(interest));
        added = true; // had Netty's EPOLL_CTL_ADD failed, submit would have thrown
        return submitted;
      }
      if (!added) {
        return epoll.submit(EpollIoOps.NONE); // not in the set yet: Netty adds nothing
      }
      epoll.submit(EpollIoOps.EPOLLET);
      return epoll.isValid() ? 0 : -1;
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
