package dev.edgeproxy.config;

import java.text.ParseException;
import java.util.Date;
import java.util.Optional;
import org.quartz.CronExpression;

/**
 * Checks a cron expression with Quartz's own parser, as the scheduler will read it: Quartz refuses
 * some expressions that look fine (a day-of-month and a day-of-week both set, as in {@code 0 *\/5 *
 * * * *}) and accepts some that never fire ({@code 0 0 0 31 2 ?}), which the scheduler then refuses
 * at start.
 */
final class CronCheck {
  private CronCheck() {}

  /** Why Quartz would refuse {@code expression}, or empty when it is usable. */
  static Optional<String> problem(String expression) {
    CronExpression cron;
    try {
      cron = new CronExpression(expression);
    } catch (ParseException e) {
      return Optional.of("Quartz refuses it: " + e.getMessage());
    }
    if (cron.getNextValidTimeAfter(new Date()) == null) {
      return Optional.of("it never fires");
    }
    return Optional.empty();
  }
}
