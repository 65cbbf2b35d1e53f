package dev.edgeproxy.server.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgeproxy.server.transport.Transport.Wanted;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The default transport: epoll on Linux, NIO where epoll is unavailable or NIO is asked for;
 * io_uring only when asked for, falling back as epoll does.
 */
class TransportTest {
  @AfterEach
  void clearProperty() {
    System.clearProperty(Transport.PROPERTY);
  }

  @Test
  void epollIsTheDefaultWhereAvailableAndNioTheFallback() {
    assertThat(Transport.choose(Wanted.AUTO, true, true)).isEqualTo(Transport.EPOLL);
    assertThat(Transport.choose(Wanted.AUTO, false, true)).isEqualTo(Transport.NIO);
    assertThat(Transport.choose(Wanted.EPOLL, false, true)).isEqualTo(Transport.NIO);
    assertThat(Transport.choose(Wanted.NIO, true, true)).isEqualTo(Transport.NIO);
  }

  @Test
  void ioUringOnlyWhenAskedForFallingBackToEpollThenNio() {
    assertThat(Transport.choose(Wanted.IO_URING, true, true)).isEqualTo(Transport.IO_URING);
    assertThat(Transport.choose(Wanted.IO_URING, true, false)).isEqualTo(Transport.EPOLL);
    assertThat(Transport.choose(Wanted.IO_URING, false, false)).isEqualTo(Transport.NIO);
  }

  @Test
  void ioUringIsChosenWhereAvailableOrTheReasonIsGiven() {
    System.setProperty(Transport.PROPERTY, "io_uring");
    if (IoUring.isAvailable()) {
      assertThat(Transport.detect()).isEqualTo(Transport.IO_URING);
      assertThat(Transport.unavailableReason()).isNull();
    } else {
      assertThat(Transport.detect()).isNotEqualTo(Transport.IO_URING);
      assertThat(Transport.unavailableReason()).startsWith("io_uring unavailable: ");
    }
  }

  @Test
  void onLinuxTheDefaultIsEpoll() {
    // The jar bundles the native library for Linux x86_64 and aarch64: there it must load.
    String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
    String arch = System.getProperty("os.arch");
    if (os.contains("linux") && (arch.equals("amd64") || arch.equals("aarch64"))) {
      assertThat(Epoll.isAvailable()).as("epoll: %s", Epoll.unavailabilityCause()).isTrue();
      assertThat(Transport.detect()).isEqualTo(Transport.EPOLL);
      assertThat(Transport.unavailableReason()).isNull();
    } else {
      assertThat(Transport.detect()).isEqualTo(Transport.NIO);
    }
  }

  @Test
  void nioCanBeForcedAndAnUnknownNameIsRefused() {
    System.setProperty(Transport.PROPERTY, "nio");
    assertThat(Transport.detect()).isEqualTo(Transport.NIO);
    assertThat(Transport.unavailableReason()).isNull();

    System.setProperty(Transport.PROPERTY, "kqueue");
    assertThatThrownBy(Transport::detect)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("auto, epoll, io_uring or nio");
  }
}
