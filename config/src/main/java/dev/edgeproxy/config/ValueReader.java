package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigSchema.Bytes;
import dev.edgeproxy.config.ConfigSchema.Cron;
import dev.edgeproxy.config.ConfigSchema.EnvName;
import dev.edgeproxy.config.ConfigSchema.IfEmpty;
import dev.edgeproxy.config.ConfigSchema.NoneWord;
import dev.edgeproxy.config.ConfigSchema.Positive;
import dev.edgeproxy.config.ConfigSchema.Range;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How the text of one written value becomes a value of a record component's type (whole number,
 * size, duration, boolean, share ({@code double}: {@code 50%} or {@code 0.5}), enum, string, path,
 * http(s) URL ({@code URI}), or any type with a static {@code parse(String)}), or the message
 * telling why not.
 */
interface ValueReader {
  /** The value of {@code text}; {@code baseDir} (may be null) resolves relative paths. */
  Object read(String text, Path baseDir) throws Refused;

  /** A written value that is not one of the type: the message says why, the place is the caller's. */
  final class Refused extends Exception {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  /** The reader of {@code type}, the component's type or its element type, with its bounds. */
  static ValueReader of(RecordComponent c, Class<?> type) {
    return of(c, type, true);
  }

  /**
   * The reader of the component's {@link ConfigSchema.Default}: without its bounds, since a default
   * may be a value with a meaning of its own ({@code memoryBudget: 0}, derived).
   */
  static ValueReader ofDefault(RecordComponent c, Class<?> type) {
    return of(c, type, false);
  }

  private static ValueReader of(RecordComponent c, Class<?> type, boolean bounded) {
    if (type == int.class || type == long.class) {
      Range range = bounded ? c.getAnnotation(Range.class) : null;
      // without a range, the bounds of the component's type, so that a number never overflows it
      long min = range != null ? range.min() : type == int.class ? Integer.MIN_VALUE : Long.MIN_VALUE;
      long max = range != null ? range.max() : type == int.class ? Integer.MAX_VALUE : Long.MAX_VALUE;
      return c.isAnnotationPresent(Bytes.class)
          ? (text, base) -> number(ValueReader.size(text), text + " is not in " + min + ".." + max + " bytes", min, max, type)
          : (text, base) -> {
            long n = whole(text);
            return number(n, n + " is not in " + min + ".." + max, min, max, type);
          };
    }
    if (type == Duration.class) {
      boolean positive = bounded && c.isAnnotationPresent(Positive.class);
      NoneWord none = c.getAnnotation(NoneWord.class);
      String use = none == null ? "" : none.value() + ", ";
      return (text, base) -> {
        Duration d =
            ConfigValues.parseDuration(text)
                .orElseThrow(() -> new Refused("invalid duration '" + text + "' (use " + use + "500ms, 10s, 5m, 1h)"));
        if (positive && d.isZero()) {
          throw new Refused("must be more than 0");
        }
        return d;
      };
    }
    if (type == boolean.class) {
      return (text, base) -> {
        switch (text.strip().toLowerCase(Locale.ROOT)) {
          case "true":
            return true;
          case "false":
            return false;
          default:
            throw new Refused("expected true or false, got '" + text + "'");
        }
      };
    }
    if (type == double.class) {
      return (text, base) -> share(text);
    }
    if (type == URI.class) {
      return (text, base) -> httpUrl(text);
    }
    if (type.isEnum() && !hasParser(type)) {
      return (text, base) -> enumValue(type, text);
    }
    if (type == String.class && c.isAnnotationPresent(Cron.class)) {
      return (text, base) -> CronCheck.read(text);
    }
    if (type == String.class && c.isAnnotationPresent(EnvName.class)) {
      return (text, base) -> {
        if (!ConfigValues.ENV_NAME.matcher(text.strip()).matches()) {
          throw new Refused(
              "'" + text + "' is not an environment variable name (give the name, not the secret)");
        }
        return text.strip();
      };
    }
    if (type == String.class) {
      IfEmpty hint = c.getAnnotation(IfEmpty.class);
      String ifEmpty = hint == null ? "" : " (" + hint.value() + ")";
      return (text, base) -> {
        if (text.isBlank()) {
          throw new Refused("must not be empty" + ifEmpty);
        }
        return text.strip();
      };
    }
    if (type == Path.class) {
      return ValueReader::path;
    }
    return parser(type);
  }

  /** A share of a whole: {@code 50%} or a fraction {@code 0.5}, in 0..1. */
  private static double share(String text) throws Refused {
    double share =
        ConfigValues.parseShare(text)
            .orElseThrow(() -> new Refused("invalid share '" + text + "' (use 50% or 0.5)"));
    if (!(share >= 0 && share <= 1)) {
      throw new Refused("'" + text + "' is not in 0..100% (use 50% or 0.5)");
    }
    return share;
  }

  /** An http:// or https:// URL with a host. */
  private static URI httpUrl(String text) throws Refused {
    URI uri;
    try {
      uri = new URI(text.strip());
    } catch (URISyntaxException e) {
      throw new Refused("invalid URL '" + text + "'");
    }
    if (uri.getScheme() == null
        || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
        || uri.getHost() == null) {
      throw new Refused("expected an http(s) URL, got '" + text + "'");
    }
    return uri;
  }

  /** A path; a relative one resolved against {@code base} (null: the working directory). */
  static Path path(String text, Path base) throws Refused {
    if (text.isBlank()) {
      throw new Refused("must not be empty");
    }
    try {
      Path p = Path.of(text.strip());
      return base != null && !p.isAbsolute() ? base.resolve(p) : p;
    } catch (InvalidPathException e) {
      throw new Refused("invalid path '" + text + "'");
    }
  }

  private static long whole(String text) throws Refused {
    try {
      return Long.parseLong(text.strip());
    } catch (NumberFormatException e) {
      throw new Refused("expected a whole number, got '" + text + "'");
    }
  }

  private static long size(String text) throws Refused {
    return ConfigValues.parseSize(text)
        .orElseThrow(() -> new Refused("invalid size '" + text + "' (use 16384, 16KiB, 1MiB)"));
  }

  private static Object number(long n, String outOfRange, long min, long max, Class<?> type)
      throws Refused {
    if (n < min || n > max) {
      throw new Refused(outOfRange);
    }
    return type == int.class ? (Object) (int) n : (Object) n;
  }

  private static Object enumValue(Class<?> type, String text) throws Refused {
    String name = text.strip().toUpperCase(Locale.ROOT).replace('-', '_');
    List<String> names = new ArrayList<>();
    for (Object e : type.getEnumConstants()) {
      if (((Enum<?>) e).name().equals(name)) {
        return e;
      }
      names.add(((Enum<?>) e).name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }
    throw new Refused("invalid value '" + text + "' (use " + String.join(" | ", names) + ")");
  }

  /** Whether {@code type} has a {@code parse(String)}: it is then written as one value. */
  static boolean hasParser(Class<?> type) {
    try {
      type.getMethod("parse", String.class);
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  /** A value type's own {@code static T parse(String)}, whose IllegalArgumentException says why not. */
  private static ValueReader parser(Class<?> type) {
    Method parse;
    try {
      parse = type.getMethod("parse", String.class);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(type + " has no reader and no parse(String)", e);
    }
    if (!Modifier.isStatic(parse.getModifiers()) || parse.getReturnType() != type) {
      throw new IllegalStateException(parse + " is not a static parser of " + type);
    }
    return (text, base) -> {
      try {
        return parse.invoke(null, text);
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof IllegalArgumentException) {
          throw new Refused(e.getCause().getMessage());
        }
        throw new IllegalStateException(parse + " failed on a config value", e.getCause());
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(parse + " is not accessible", e);
      }
    };
  }
}
