package dev.edgeproxy.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.function.Supplier;

/**
 * What a config record says about each of its values, read by {@link RecordBinder}: so that a key,
 * its default and its bounds are written in one place, on the record component that holds it.
 */
final class ConfigSchema {
  private ConfigSchema() {}

  /**
   * The value when the key is absent, written as it would be in the file ({@code "15m"}); for a
   * list, its items ({@code {}} for none). Every scalar and list component has one; an {@code
   * Optional} is empty when absent.
   */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface Default {
    String[] value();
  }

  /**
   * The bounds of a number, both included. Not applied to the {@link Default}, which may be a
   * value outside the range with a meaning of its own ({@code memoryBudget: 0}, derived).
   */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface Range {
    long min();

    long max();
  }

  /** What to add to "must not be empty" for a string written empty: how to say "none" instead. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface IfEmpty {
    String value();
  }

  /** The word that, written for an {@code Optional}, means none ({@code noSni: refuse}). */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface NoneWord {
    String value();
  }

  /** What a list's items are called in "needs at least one host" (else "value"). */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface ItemName {
    String value();
  }

  /** A list that may be written empty ({@code []}); others need at least one value. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface MayBeEmpty {}

  /** A duration that must be more than 0. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface Positive {}

  /** A number written as a size ({@code 16384}, {@code 16KiB}, {@code 1MiB}). */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface Bytes {}

  /**
   * A key that must be written (a source's {@code url}); missing, it is reported as {@code
   * path.key: required} where its map is written. A record whose required value is missing or
   * refused is left out (its problems stand), so the load goes on to tell every problem.
   */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface Required {}

  /**
   * A default computed when the config is loaded (the machine's host name): the supplier's value
   * when the key is absent. The supplier has a no-argument constructor.
   */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface DefaultFrom {
    Class<? extends Supplier<?>> value();
  }

  /**
   * Keys of a map of which at most one may be written ({@code interval} or {@code cron}): both
   * written is a problem at the first; none written, the {@link Default} of the one that has it
   * stands (declared on that {@code Optional} component), the others are empty.
   */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.TYPE)
  @interface OneOf {
    String[] value();
  }

  /**
   * A key whose value a section class reads and checks across its values, then gives to the
   * binder (the listeners, the pools): still a key of its map, not read by the binder.
   */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface Given {}

  /** A string that is the name of an environment variable (holding a secret, never the secret). */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface EnvName {}

  /** A string that is a Quartz cron expression, checked with Quartz's own parser. */
  @Retention(RetentionPolicy.RUNTIME)
  @Target(ElementType.RECORD_COMPONENT)
  @interface Cron {}
}
