package dev.edgeproxy.server.sources;

import dev.edgeproxy.allowlist.AllowListSource;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.quartz.CronScheduleBuilder;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.JobKey;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.spi.JobFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each allow-list source on its schedule (an interval with a jittered start, a Quartz cron
 * expression, or only on demand) and on demand (webhook, POST /sync, SIGHUP, the file watch).
 *
 * <p>Quartz (in-memory job store, nothing persisted) only fires triggers: its job asks the source's
 * {@link SourceRunner} for a run and returns at once, so a stuck fetch never holds a Quartz thread
 * and triggers never pile up behind it. The runner coalesces requests and enforces the deadline.
 * Quartz starts with the first source that has a schedule: a node whose sources all run on demand
 * (the watched file alone) loads none of its classes and runs none of its threads.
 */
public final class SourceScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SourceScheduler.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private static final String GROUP = "allowlist-sources";

  /** When a source runs besides on demand: every {@code interval}, on a cron expression, or never. */
  public record Schedule(Duration interval, String cron) {
    static Schedule every(Duration interval) {
      return new Schedule(interval, null);
    }

    static Schedule cron(String expression) {
      return new Schedule(null, expression);
    }

    static Schedule onDemand() {
      return new Schedule(null, null);
    }
  }

  private final Properties quartzSettings;
  /** Created by the first source with a schedule; guarded by {@code this}. */
  private Scheduler quartz;
  private boolean started;
  private boolean closed;
  private final Duration deadline;
  private final Clock clock;
  private final ScheduledExecutorService watchdog;
  private final Map<String, SourceRunner> runners = new ConcurrentHashMap<>();

  /** @param deadline the longest one run may take ({@code allowlist.sourceTimeout}) */
  SourceScheduler(Duration deadline) throws SchedulerException {
    this(deadline, Clock.systemUTC());
  }

  SourceScheduler(Duration deadline, Clock clock) throws SchedulerException {
    this.deadline = deadline;
    this.clock = clock;
    Properties p = new Properties();
    p.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME, "edge-sources-" + INSTANCES.incrementAndGet());
    p.setProperty("org.quartz.threadPool.threadCount", "1");
    p.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
    p.setProperty("org.quartz.scheduler.makeSchedulerThreadDaemon", "true");
    p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    p.setProperty("org.quartz.jobStore.misfireThreshold", "60000");
    this.quartzSettings = p;
    this.watchdog =
        Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("allowlist-deadlines"));
  }

  /**
   * Adds a source. Call {@link #runNow} for its first run (a node must not wait a whole interval
   * for its first list); interval schedules start after the interval plus a random tenth of it,
   * so that entrance nodes restarted together do not call AWS together.
   */
  void add(AllowListSource source, Schedule schedule, SourceRunner.Sink sink)
      throws SchedulerException {
    String name = source.name();
    SourceRunner runner = new SourceRunner(source, deadline, sink, watchdog, clock);
    if (runners.putIfAbsent(name, runner) != null) {
      runner.close(Duration.ZERO);
      throw new IllegalStateException("allow-list source " + name + " is already scheduled");
    }
    if (schedule.cron() == null && schedule.interval() == null) {
      return;
    }
    JobDetail job = JobBuilder.newJob(SourceJob.class).withIdentity(name, GROUP).storeDurably().build();
    Trigger trigger;
    if (schedule.cron() != null) {
      trigger =
          TriggerBuilder.newTrigger()
              .withIdentity(name + "-cron", GROUP)
              .forJob(job)
              .withSchedule(
                  CronScheduleBuilder.cronSchedule(schedule.cron())
                      .withMisfireHandlingInstructionDoNothing())
              .build();
    } else {
      long intervalMillis = Math.max(1000, schedule.interval().toMillis());
      long jitter = ThreadLocalRandom.current().nextLong(Math.max(1, intervalMillis / 10));
      trigger =
          TriggerBuilder.newTrigger()
              .withIdentity(name + "-interval", GROUP)
              .forJob(job)
              .startAt(new Date(System.currentTimeMillis() + intervalMillis + jitter))
              .withSchedule(
                  SimpleScheduleBuilder.simpleSchedule()
                      .withIntervalInMilliseconds(intervalMillis)
                      .repeatForever()
                      .withMisfireHandlingInstructionNextWithRemainingCount())
              .build();
    }
    Scheduler timed = quartz();
    timed.addJob(job, false);
    timed.scheduleJob(trigger);
  }

  /** Quartz, created (and started, if this scheduler is) on first use. */
  private synchronized Scheduler quartz() throws SchedulerException {
    if (closed) {
      throw new SchedulerException("the source scheduler is closed");
    }
    if (quartz == null) {
      Scheduler created = new StdSchedulerFactory(quartzSettings).getScheduler();
      created.setJobFactory(jobFactory());
      if (started) {
        created.start();
      }
      quartz = created;
    }
    return quartz;
  }

  /** Quartz's instance name, which its threads' names start with. */
  String instanceName() {
    return quartzSettings.getProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME);
  }

  /** Whether Quartz runs: only once a source has an interval or a cron schedule. */
  synchronized boolean timed() {
    return quartz != null;
  }

  /** Removes a source: no more runs; one in flight is interrupted and its answer discarded. */
  void remove(String name) {
    SourceRunner runner = runners.remove(name);
    if (runner == null) {
      return;
    }
    try {
      synchronized (this) {
        if (quartz != null) {
          quartz.deleteJob(new JobKey(name, GROUP));
        }
      }
    } catch (SchedulerException e) {
      log.warn("cannot unschedule allow-list source {}: {}", name, e.getMessage());
    }
    runner.close(Duration.ZERO);
  }

  synchronized void start() throws SchedulerException {
    started = true;
    if (quartz != null) {
      quartz.start();
    }
  }

  /**
   * Runs a source as soon as possible: now, or right after its run in flight. Requests made while
   * one is already queued are merged into it.
   */
  SourceRunner.Request runNow(String name) {
    SourceRunner runner = runners.get(name);
    return runner == null ? SourceRunner.Request.CLOSED : runner.request();
  }

  boolean has(String name) {
    return runners.containsKey(name);
  }

  /** When the run of {@code name} in flight started; empty when it is idle. */
  Optional<Instant> runningSince(String name) {
    SourceRunner runner = runners.get(name);
    return runner == null ? Optional.empty() : runner.runningSince();
  }

  /** Stops at once: interrupts runs in flight, waits for them at most {@code grace} in all. */
  void close(Duration grace) {
    try {
      synchronized (this) {
        closed = true;
        if (quartz != null) {
          quartz.shutdown(false);
        }
      }
    } catch (SchedulerException e) {
      log.warn("stopping the source scheduler: {}", e.getMessage());
    }
    long until = System.nanoTime() + grace.toNanos();
    for (SourceRunner runner : runners.values()) {
      runner.close(Duration.ofNanos(Math.max(0, until - System.nanoTime())));
    }
    runners.clear();
    watchdog.shutdownNow();
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(1));
  }

  private JobFactory jobFactory() {
    return (bundle, sched) -> new SourceJob(this, bundle.getJobDetail().getKey().getName());
  }

  /** Fires a run request and returns at once: never blocks a Quartz thread. */
  static final class SourceJob implements Job {
    private final SourceScheduler owner;
    private final String name;

    SourceJob(SourceScheduler owner, String name) {
      this.owner = owner;
      this.name = name;
    }

    @Override
    public void execute(JobExecutionContext context) {
      owner.runNow(name);
    }
  }
}
