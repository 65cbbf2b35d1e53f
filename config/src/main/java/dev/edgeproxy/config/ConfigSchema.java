package dev.edgeproxy.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

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
}
