package dev.edgeproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class ConnectionLimitsTest {
  @Test
  void enforcesTheTotalAndThePerAddressLimitAndForgetsIdleAddresses() throws Exception {
    InetAddress a = InetAddress.getByName("192.0.2.1");
    InetAddress b = InetAddress.getByName("192.0.2.2");
    ConnectionLimits limits = new ConnectionLimits(3, 2);
    assertThat(limits.tryAcquire(a)).isTrue();
    assertThat(limits.tryAcquire(a)).isTrue();
    assertThat(limits.tryAcquire(a)).as("third from one address").isFalse();
    assertThat(limits.count(a)).isEqualTo(2);
    assertThat(limits.tryAcquire(b)).isTrue();
    assertThat(limits.tryAcquire(b)).as("over the total").isFalse();
    assertThat(limits.total()).isEqualTo(3);
    limits.release(a);
    limits.release(a);
    assertThat(limits.count(a)).isZero();
    assertThat(limits.tryAcquire(null)).as("no address: only the total counts").isTrue();
    limits.release(null);
    limits.release(b);
    assertThat(limits.total()).isZero();
  }
}
