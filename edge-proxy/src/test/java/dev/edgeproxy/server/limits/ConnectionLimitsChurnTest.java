package dev.edgeproxy.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * One client's connections opening and closing on several threads at once, as on the event loops:
 * a count taken while the client's last connection leaves must not land on a removed entry (which
 * lets the client past its limit). Runs until the limit is seen broken or for a bounded time.
 */
class ConnectionLimitsChurnTest {
  @Test
  void churnNeverLetsOneClientPastItsLimitNorLeavesAnEntry() throws Exception {
    InetAddress client = InetAddress.getByName("192.0.2.9");
    int maxPerClient = 2;
    ConnectionLimits limits = new ConnectionLimits(Integer.MAX_VALUE, maxPerClient, 64);
    int threads = 3;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
    AtomicInteger holding = new AtomicInteger();
    AtomicInteger mostHeld = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  while (System.nanoTime() < deadline && mostHeld.get() <= maxPerClient) {
                    if (limits.tryAcquire(client)) {
                      mostHeld.accumulateAndGet(holding.incrementAndGet(), Math::max);
                      for (int spin = 0; spin < 10; spin++) {
                        Thread.onSpinWait(); // hold the slot a moment, as a connection does
                      }
                      holding.decrementAndGet();
                      limits.release(client);
                    }
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(1, TimeUnit.MINUTES);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(mostHeld.get())
        .as("connections one client held at once")
        .isLessThanOrEqualTo(maxPerClient);
    assertThat(limits.count(client)).isZero();
    assertThat(limits.clientsCounted()).isZero();
  }
}
