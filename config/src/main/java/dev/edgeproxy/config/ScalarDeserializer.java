package dev.edgeproxy.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.ContextualDeserializer;
import dev.edgeproxy.config.ConfigSchema.Bytes;
import dev.edgeproxy.config.ConfigSchema.Default;
import dev.edgeproxy.config.ConfigSchema.Positive;
import dev.edgeproxy.config.ConfigSchema.Range;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.time.Duration;

/**
 * Binds one scalar record component (a whole number, a size or a duration) from its text, with the
 * default and bounds its {@link ConfigSchema} annotations declare. A wrong value is reported where
 * it is written and the default taken instead of throwing, so that one load tells every problem.
 */
final class ScalarDeserializer extends JsonDeserializer<Object> implements ContextualDeserializer {
  /** How the text of a value is read. */
  enum Kind {
    WHOLE_NUMBER,
    SIZE,
    DURATION
  }

  /** The component's schema; null in the uncontextualised instance Jackson asks first. */
  private final Kind kind;
  private final Object dflt;
  private final long min;
  private final long max;
  private final boolean positive;

  ScalarDeserializer() {
    this(null, null, 0, 0, false);
  }

  private ScalarDeserializer(Kind kind, Object dflt, long min, long max, boolean positive) {
    this.kind = kind;
    this.dflt = dflt;
    this.min = min;
    this.max = max;
    this.positive = positive;
  }

  static boolean handles(Class<?> type) {
    return type == int.class || type == long.class || type == Duration.class;
  }

  @Override
  public JsonDeserializer<?> createContextual(DeserializationContext ctxt, BeanProperty property) {
    if (property == null) {
      throw new IllegalStateException("a config scalar is bound only as a record component");
    }
    RecordComponent c = component(property.getMember().getDeclaringClass(), property.getName());
    Default d = c.getAnnotation(Default.class);
    if (d == null) {
      throw new IllegalStateException(c + " has no @Default");
    }
    Kind k =
        c.getType() == Duration.class
            ? Kind.DURATION
            : c.isAnnotationPresent(Bytes.class) ? Kind.SIZE : Kind.WHOLE_NUMBER;
    Object parsedDefault = parse(k, d.value(), c.getType());
    if (parsedDefault == null) {
      throw new IllegalStateException(c + ": invalid @Default '" + d.value() + "'");
    }
    // without a range, the bounds of the component's type, so that a number never overflows it
    Range range = c.getAnnotation(Range.class);
    boolean isInt = c.getType() == int.class;
    return new ScalarDeserializer(
        k,
        parsedDefault,
        range != null ? range.min() : isInt ? Integer.MIN_VALUE : Long.MIN_VALUE,
        range != null ? range.max() : isInt ? Integer.MAX_VALUE : Long.MAX_VALUE,
        c.isAnnotationPresent(Positive.class));
  }

  private static RecordComponent component(Class<?> record, String name) {
    for (RecordComponent c : record.getRecordComponents()) {
      if (c.getName().equals(name)) {
        return c;
      }
    }
    throw new IllegalStateException(record + " has no component " + name);
  }

  @Override
  public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    RecordBinder.Binding binding = RecordBinder.Binding.of(ctxt);
    String pointer = p.getParsingContext().pathAsPointer().toString();
    RecordBinder.Place place = binding.place(pointer);
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      p.skipChildren();
      binding.problem(place, "expected a single value, got " + place.node().describe());
      return dflt;
    }
    String text = p.getText();
    String why = check(text);
    if (why != null) {
      binding.problem(place, why);
      return dflt;
    }
    return parse(kind, text, dflt.getClass());
  }

  /** Why {@code text} is not a valid value, or null. */
  private String check(String text) {
    switch (kind) {
      case DURATION:
        Duration d = ConfigValues.parseDuration(text).orElse(null);
        if (d == null) {
          return "invalid duration '" + text + "' (use 500ms, 10s, 5m, 1h)";
        }
        return positive && d.isZero() ? "must be more than 0" : null;
      case SIZE:
        Long bytes = ConfigValues.parseSize(text).orElse(null);
        if (bytes == null) {
          return "invalid size '" + text + "' (use 16384, 16KiB, 1MiB)";
        }
        return outOfRange(bytes) ? text + " is not in " + bounds() + " bytes" : null;
      default:
        long n;
        try {
          n = Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
          return "expected a whole number, got '" + text + "'";
        }
        return outOfRange(n) ? n + " is not in " + bounds() : null;
    }
  }

  private boolean outOfRange(long n) {
    return n < min || n > max;
  }

  private String bounds() {
    return min + ".." + max;
  }

  /** {@code text} read as {@code kind} into {@code type}; null when it is no such value. */
  private static Object parse(Kind kind, String text, Class<?> type) {
    if (kind == Kind.DURATION) {
      return ConfigValues.parseDuration(text).orElse(null);
    }
    Long n;
    if (kind == Kind.SIZE) {
      n = ConfigValues.parseSize(text).orElse(null);
    } else {
      try {
        n = Long.parseLong(text.strip());
      } catch (NumberFormatException e) {
        n = null;
      }
    }
    if (n == null) {
      return null;
    }
    boolean isInt = type == int.class || type == Integer.class;
    return isInt ? (Object) Math.toIntExact(n) : (Object) n;
  }

  /** Absent: the declared default. */
  @Override
  public Object getAbsentValue(DeserializationContext ctxt) {
    return dflt;
  }

  /** Null stands for a value already reported (an unset {@code ${VAR}}): the default, quietly. */
  @Override
  public Object getNullValue(DeserializationContext ctxt) {
    return dflt;
  }
}
