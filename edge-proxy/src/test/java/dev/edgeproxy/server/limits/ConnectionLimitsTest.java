package dev.edgeproxy.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class ConnectionLimitsTest {
  @Test
  void enforcesTheTotalAndThePerClientLimitAndForgetsIdleClients() throws Exception {
    InetAddress a = InetAddress.getByName("192.0.2.1");
    InetAddress b = InetAddress.getByName("192.0.2.2");
    ConnectionLimits limits = new ConnectionLimits(3, 2, 64);
    assertThat(limits.tryAcquire(a)).isTrue();
    assertThat(limits.tryAcquire(a)).isTrue();
    assertThat(limits.tryAcquire(a)).as("third from one address").isFalse();
    assertThat(limits.count(a)).isEqualTo(2);
    assertThat(limits.tryAcquire(b)).isTrue();
    limits.release(a);
    limits.release(a);
    assertThat(limits.count(a)).isZero();
    limits.release(b);
    assertThat(limits.clientsCounted()).as("no entry is kept for a client with nothing open").isZero();

    assertThat(limits.tryAcquireConnection()).isTrue();
    assertThat(limits.tryAcquireConnection()).isTrue();
    assertThat(limits.tryAcquireConnection()).isTrue();
    assertThat(limits.tryAcquireConnection()).as("over the total").isFalse();
    assertThat(limits.total()).isEqualTo(3);
    limits.releaseConnection();
    assertThat(limits.tryAcquireConnection()).isTrue();
  }

  @Test
  void ipv6ClientsAreCountedPerNetworkOfThePrefixLength() throws Exception {
    InetAddress one = InetAddress.getByName("2001:db8:1:2::1");
    InetAddress sameSlash64 = InetAddress.getByName("2001:db8:1:2:ffff:ffff:ffff:fffe");
    InetAddress otherSlash64 = InetAddress.getByName("2001:db8:1:3::1");
    ConnectionLimits limits = new ConnectionLimits(100, 2, 64);
    assertThat(limits.tryAcquire(one)).isTrue();
    assertThat(limits.tryAcquire(sameSlash64)).isTrue();
    assertThat(limits.tryAcquire(InetAddress.getByName("2001:db8:1:2::99")))
        .as("a third address of the same /64")
        .isFalse();
    assertThat(limits.tryAcquire(otherSlash64)).as("the next /64 is another client").isTrue();
    limits.release(sameSlash64);
    assertThat(limits.count(one)).isEqualTo(1);

    ConnectionLimits perAddress = new ConnectionLimits(100, 1, 128);
    assertThat(perAddress.tryAcquire(one)).isTrue();
    assertThat(perAddress.tryAcquire(sameSlash64)).as("/128 counts each address").isTrue();
  }

  @Test
  void ipv4ClientsAreCountedPerAddressWhateverTheIpv6Prefix() throws Exception {
    ConnectionLimits limits = new ConnectionLimits(100, 1, 16);
    assertThat(limits.tryAcquire(InetAddress.getByName("198.51.100.1"))).isTrue();
    assertThat(limits.tryAcquire(InetAddress.getByName("198.51.100.2"))).isTrue();
    assertThat(limits.tryAcquire(InetAddress.getByName("::ffff:198.51.100.1")))
        .as("an IPv4-mapped address is the IPv4 client")
        .isFalse();
  }
}
