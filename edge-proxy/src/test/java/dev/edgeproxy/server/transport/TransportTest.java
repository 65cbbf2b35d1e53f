package dev.edgeproxy.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgeproxy.server.transport.Transport.Wanted;
import dev.edgeproxy.sni.EpollInterest;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The default transport: epoll on Linux, NIO where epoll is unavailable or NIO is asked for. */
class TransportTest {
  @AfterEach
  void clearProperty() {
    System.clearProperty(Transport.PROPERTY);
  }

  @Test
  void epollIsTheDefaultWhereAvailableAndNioTheFallback() {
    assertThat(Transport.choose(Wanted.AUTO, true)).isEqualTo(Transport.EPOLL);
    assertThat(Transport.choose(Wanted.AUTO, false)).isEqualTo(Transport.NIO);
    assertThat(Transport.choose(Wanted.EPOLL, false)).isEqualTo(Transport.NIO);
    assertThat(Transport.choose(Wanted.NIO, true)).isEqualTo(Transport.NIO);
  }

  @Test
  void onLinuxTheDefaultIsEpoll() {
    // The jar bundles the native library for Linux x86_64 and aarch64: there it must load.
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch");
    if (os.contains("linux") && (arch.equals("amd64") || arch.equals("aarch64"))) {
      assertThat(Epoll.isAvailable()).as("epoll: %s", Epoll.unavailabilityCause()).isTrue();
      assertThat(Transport.detect()).isEqualTo(Transport.EPOLL);
      assertThat(Transport.epollUnavailableReason()).isNull();
    } else {
      assertThat(Transport.detect()).isEqualTo(Transport.NIO);
    }
  }

  @Test
  void epollLoopsRunTheDataPathsEpollHandler() {
    if (!Epoll.isAvailable()) {
      return; // onLinuxTheDefaultIsEpoll checks that epoll is there where it must be
    }
    EventLoopGroup group = Transport.EPOLL.newGroup(1, "transport-test");
    try {
      assertThat(((IoEventLoopGroup) group).isIoType(EpollInterest.class)).isTrue();
    } finally {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS).awaitUninterruptibly();
    }
  }

  @Test
  void nioCanBeForcedAndAnUnknownNameIsRefused() {
    System.setProperty(Transport.PROPERTY, "nio");
    assertThat(Transport.detect()).isEqualTo(Transport.NIO);
    assertThat(Transport.epollUnavailableReason()).isNull();

    System.setProperty(Transport.PROPERTY, "kqueue");
    assertThatThrownBy(Transport::detect)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("auto, epoll or nio");
  }
}
