package dev.edgeproxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SourceSchedulerTest {
  @Test
  void runsOnceAtStartWhateverTheIntervalAndAgainOnDemand() throws Exception {
    AtomicInteger runs = new AtomicInteger();
    try (SourceScheduler scheduler = new SourceScheduler(2)) {
      scheduler.add("git", SourceScheduler.Schedule.every(Duration.ofHours(1)), runs::incrementAndGet);
      scheduler.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 1);
      assertThat(scheduler.runNow("git")).isTrue();
      await().atMost(Duration.ofSeconds(10)).until(() -> runs.get() == 2);
      assertThat(scheduler.runNow("route53")).as("unknown source").isFalse();
    }
  }

  @Test
  void runsOnItsIntervalAndNeverTwiceAtOnce() throws Exception {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    AtomicInteger runs = new AtomicInteger();
    try (SourceScheduler scheduler = new SourceScheduler(4)) {
      scheduler.add(
          "route53",
          SourceScheduler.Schedule.every(Duration.ofSeconds(1)),
          () -> {
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
              Thread.sleep(300);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            running.decrementAndGet();
            runs.incrementAndGet();
          });
      scheduler.start();
      for (int i = 0; i < 3; i++) {
        scheduler.runNow("route53");
      }
      await().atMost(Duration.ofSeconds(15)).until(() -> runs.get() >= 5);
    }
    assertThat(maxRunning.get()).isEqualTo(1);
  }

  @Test
  void cronSchedulesAreAccepted() throws Exception {
    CountDownLatch ran = new CountDownLatch(2);
    try (SourceScheduler scheduler = new SourceScheduler(1)) {
      scheduler.add("git", SourceScheduler.Schedule.cron("* * * * * ?"), ran::countDown);
      scheduler.start();
      assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void closeWaitsForARunningJob() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger finished = new AtomicInteger();
    SourceScheduler scheduler = new SourceScheduler(1);
    scheduler.add(
        "git",
        SourceScheduler.Schedule.every(Duration.ofHours(1)),
        () -> {
          started.countDown();
          try {
            Thread.sleep(500);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          finished.incrementAndGet();
        });
    scheduler.start();
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    scheduler.close();
    assertThat(finished.get()).isEqualTo(1);
  }
}
