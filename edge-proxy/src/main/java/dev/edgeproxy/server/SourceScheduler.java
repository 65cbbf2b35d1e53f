package dev.edgeproxy.server;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.quartz.CronScheduleBuilder;
import org.quartz.DisallowConcurrentExecution;
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
 * Runs each allow-list source on its own schedule (an interval with a jittered start, or a Quartz
 * cron expression), never twice at once, and on demand (webhook, POST /sync, SIGHUP). Quartz with
 * the in-memory job store: no database, nothing persisted; the allow-list state file is persisted
 * elsewhere.
 */
final class SourceScheduler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SourceScheduler.class);
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private static final String GROUP = "allowlist-sources";

  /** When a source runs: every {@code interval} or on a cron expression. */
  record Schedule(Duration interval, String cron) {
    static Schedule every(Duration interval) {
      return new Schedule(interval, null);
    }

    static Schedule cron(String expression) {
      return new Schedule(null, expression);
    }
  }

  private final Scheduler scheduler;
  private final Map<String, Runnable> tasks = new ConcurrentHashMap<>();

  SourceScheduler(int threads) throws SchedulerException {
    Properties p = new Properties();
    p.setProperty(StdSchedulerFactory.PROP_SCHED_INSTANCE_NAME, "edge-sources-" + INSTANCES.incrementAndGet());
    p.setProperty("org.quartz.threadPool.threadCount", Integer.toString(Math.max(1, threads)));
    p.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
    p.setProperty("org.quartz.scheduler.makeSchedulerThreadDaemon", "true");
    p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
    p.setProperty("org.quartz.jobStore.misfireThreshold", "60000");
    StdSchedulerFactory factory = new StdSchedulerFactory(p);
    this.scheduler = factory.getScheduler();
    scheduler.setJobFactory(jobFactory());
  }

  /**
   * Adds a source job. It runs once right after {@link #start()} (a node must not wait a whole
   * interval for its first list), then on its schedule; interval schedules start after a random
   * tenth of the interval so that entrance nodes restarted together do not call AWS together.
   */
  void add(String name, Schedule schedule, Runnable task) throws SchedulerException {
    tasks.put(name, task);
    JobDetail job = JobBuilder.newJob(SourceJob.class).withIdentity(name, GROUP).storeDurably().build();
    scheduler.addJob(job, false);
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
              .startAt(new java.util.Date(System.currentTimeMillis() + intervalMillis + jitter))
              .withSchedule(
                  SimpleScheduleBuilder.simpleSchedule()
                      .withIntervalInMilliseconds(intervalMillis)
                      .repeatForever()
                      .withMisfireHandlingInstructionNextWithRemainingCount())
              .build();
    }
    scheduler.scheduleJob(trigger);
    // The run at start.
    scheduler.scheduleJob(TriggerBuilder.newTrigger().forJob(job).startNow().build());
  }

  void start() throws SchedulerException {
    scheduler.start();
  }

  /** Runs a source as soon as possible (after its current run, if one is going on). */
  boolean runNow(String name) {
    if (!tasks.containsKey(name)) {
      return false;
    }
    try {
      scheduler.triggerJob(new JobKey(name, GROUP));
      return true;
    } catch (SchedulerException e) {
      log.warn("cannot trigger allow-list source {}: {}", name, e.getMessage());
      return false;
    }
  }

  boolean has(String name) {
    return tasks.containsKey(name);
  }

  /** Waits for running jobs to finish, then stops. */
  @Override
  public void close() {
    try {
      scheduler.shutdown(true);
    } catch (SchedulerException e) {
      log.warn("stopping the source scheduler: {}", e.getMessage());
    }
  }

  private JobFactory jobFactory() {
    return (bundle, sched) -> {
      Runnable task = tasks.get(bundle.getJobDetail().getKey().getName());
      return new SourceJob(task);
    };
  }

  /** Concurrent runs of one source would race on its Git cache and its status. */
  @DisallowConcurrentExecution
  static final class SourceJob implements Job {
    private final Runnable task;

    SourceJob(Runnable task) {
      this.task = task;
    }

    @Override
    public void execute(JobExecutionContext context) {
      task.run();
    }
  }
}
