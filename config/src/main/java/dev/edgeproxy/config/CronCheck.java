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

  /** {@code text} stripped, when the scheduler will take it as a cron expression. */
  static String read(String text) throws ValueReader.Refused {
    String expression = text.strip();
    String[] fields = expression.split("\\s+");
    if (fields.length < 6 || fields.length > 7) {
      throw new ValueReader.Refused(
          "cron '" + text + "' has " + fields.length
              + " fields; Quartz needs 6 or 7 (sec min hour day month weekday [year])");
    }
    Optional<String> refused = problem(expression);
    if (refused.isPresent()) {
      throw new ValueReader.Refused("cron '" + expression + "': " + refused.get());
    }
    return expression;
  }

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
