package dev.edgeproxy.server.sources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.allowlist.AllowListSource;
import dev.edgeproxy.allowlist.SourceList;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SourceSchedulerTest {
  /** A source whose fetch runs {@code body}; counts its runs. */
  static final class TestSource implements AllowListSource {
    interface Body {
      void run() throws Exception;
    }

    final String name;
    final Body body;
    final AtomicInteger runs = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger maxRunning = new AtomicInteger();

    TestSource(String name, Body body) {
      this.name = name;
      this.body = body;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public SourceList fetch() {
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        body.run();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      } finally {
        running.decrementAndGet();
        runs.incrementAndGet();
      }
      return SourceList.allowOnly(name, "r" + runs.get(), List.of());
    }
  }

  /** Records what the runner reports. */
  static final class Recorder implements SourceRunner.Sink {
    final List<String> answers = new CopyOnWriteArrayList<>();
    final List<String> failures = new CopyOnWriteArrayList<>();

    @Override
    public void answered(SourceList list) {
      answers.add(list.revision());
    }

    @Override
    public void failed(String error, SourceRunner.Outcome outcome) {
      failures.add(outcome + ": " + error);
    }
  }

  @Test
  void runsOnDemandAndOnItsInterval() throws Exception {
    TestSource git = new TestSource("git", () -> {});
    Recorder sink = new Recorder();
    try (SourceScheduler scheduler = new SourceScheduler(Duration.ofSeconds(10))) {
      scheduler.add(git, SourceScheduler.Schedule.every(Duration.ofSeconds(1)), sink);
      scheduler.start();
      assertThat(scheduler.runNow("git")).isEqualTo(SourceRunner.Request.STARTED);
      await().atMost(Duration.ofSeconds(15)).until(() -> git.runs.get() >= 3);
      assertThat(scheduler.runNow("route53")).as("unknown source").isEqualTo(SourceRunner.Request.CLOSED);
    }
    assertThat(sink.answers).isNotEmpty();
  }

  /** An idle node with only the watched file runs no Quartz threads; a timed source added by a reload starts it. */
  @Test
  void quartzStartsWithTheFirstTimedSourceOnly() throws Exception {
    TestSource file = new TestSource("file", () -> {});
    TestSource git = new TestSource("git", () -> {});
    try (SourceScheduler scheduler = new SourceScheduler(Duration.ofSeconds(10))) {
      scheduler.add(file, SourceScheduler.Schedule.onDemand(), new Recorder());
      scheduler.start();
      assertThat(scheduler.runNow("file")).isEqualTo(SourceRunner.Request.STARTED);
      await().atMost(Duration.ofSeconds(10)).until(() -> file.runs.get() == 1);
      assertThat(scheduler.timed()).isFalse();
      assertThat(threadsOf(scheduler)).isEmpty();

      scheduler.add(git, SourceScheduler.Schedule.every(Duration.ofSeconds(1)), new Recorder());
      assertThat(scheduler.timed()).isTrue();
      await().atMost(Duration.ofSeconds(15)).until(() -> git.runs.get() >= 2);
      assertThat(threadsOf(scheduler)).isNotEmpty();
    }
  }

  private static List<String> threadsOf(SourceScheduler scheduler) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(Thread::isAlive)
        .map(Thread::getName)
        .filter(name -> name.startsWith(scheduler.instanceName() + "_"))
        .toList();
  }

  @Test
  void cronSchedulesAreAccepted() throws Exception {
    CountDownLatch ran = new CountDownLatch(2);
    TestSource git = new TestSource("git", ran::countDown);
    try (SourceScheduler scheduler = new SourceScheduler(Duration.ofSeconds(10))) {
      scheduler.add(git, SourceScheduler.Schedule.cron("* * * * * ?"), new Recorder());
      scheduler.start();
      assertThat(ran.await(10, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aStormOfRequestsRunsAtMostOneMoreTimeAndNeverTwiceAtOnce() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    TestSource git = new TestSource("git", release::await);
    try (SourceScheduler scheduler = new SourceScheduler(Duration.ofSeconds(30))) {
      scheduler.add(git, SourceScheduler.Schedule.onDemand(), new Recorder());
      scheduler.start();
      assertThat(scheduler.runNow("git")).isEqualTo(SourceRunner.Request.STARTED);
      await().atMost(Duration.ofSeconds(10)).until(() -> git.running.get() == 1);
      assertThat(scheduler.runningSince("git")).isPresent();
      assertThat(scheduler.runNow("git")).isEqualTo(SourceRunner.Request.QUEUED);
      for (int i = 0; i < 100; i++) {
        assertThat(scheduler.runNow("git")).isEqualTo(SourceRunner.Request.ALREADY_QUEUED);
      }
      release.countDown();
      await().atMost(Duration.ofSeconds(10)).until(() -> git.runs.get() == 2 && scheduler.runningSince("git").isEmpty());
      assertThat(git.runs.get()).as("100 webhooks behind one fetch cost one more fetch").isEqualTo(2);
      assertThat(git.maxRunning.get()).isEqualTo(1);
    }
  }

  @Test
  @Timeout(60)
  void aStuckSourceIsInterruptedAtItsDeadlineAndDoesNotBlockOthers() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    TestSource git = new TestSource("git", never::await); // interruptible, like a deadline-aware fetch
    TestSource route53 = new TestSource("route53", () -> {});
    Recorder gitSink = new Recorder();
    Recorder r53Sink = new Recorder();
    try (SourceScheduler scheduler = new SourceScheduler(Duration.ofMillis(500))) {
      scheduler.add(git, SourceScheduler.Schedule.onDemand(), gitSink);
      scheduler.add(route53, SourceScheduler.Schedule.onDemand(), r53Sink);
      scheduler.start();
      scheduler.runNow("git");
      scheduler.runNow("route53");
      await().atMost(Duration.ofSeconds(10)).until(() -> r53Sink.answers.size() == 1);
      await().atMost(Duration.ofSeconds(10)).until(() -> gitSink.failures.size() == 1);
      assertThat(gitSink.failures.get(0))
          .isEqualTo("TIMED_OUT: no answer within 0.5s (allowlist.sourceTimeout): run interrupted, previous list kept");
      assertThat(gitSink.answers).as("the interrupted run's late answer is discarded").isEmpty();
      // the interrupted run ended: the source runs again on the next request
      await().atMost(Duration.ofSeconds(10)).until(() -> scheduler.runningSince("git").isEmpty());
      assertThat(scheduler.runNow("git")).isEqualTo(SourceRunner.Request.STARTED);
    }
  }

  @Test
  @Timeout(30)
  void closingNeverWaitsForAFetchThatIgnoresItsInterrupt() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    TestSource git =
        new TestSource(
            "git",
            () -> {
              started.countDown();
              long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
              while (System.nanoTime() < until) {
                // a blocking socket read ignores interrupts; this loop does too
                Thread.onSpinWait();
              }
            });
    SourceScheduler scheduler = new SourceScheduler(Duration.ofMinutes(5));
    scheduler.add(git, SourceScheduler.Schedule.onDemand(), new Recorder());
    scheduler.start();
    scheduler.runNow("git");
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    long t0 = System.nanoTime();
    scheduler.close(Duration.ofMillis(200));
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
  }
}
