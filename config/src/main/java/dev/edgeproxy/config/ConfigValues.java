package dev.edgeproxy.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value syntax of the configuration, independent of where a value stands: durations, sizes,
 * shares, {@code ${VAR:-default}} substitution and the did-you-mean of an unknown key.
 */
final class ConfigValues {
  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");
  private static final Pattern SIZE =
      Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|KB|MB|GB|k|K)?");
  static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  private ConfigValues() {}

  /** Parses a duration such as {@code 500ms}, {@code 10s}, {@code 5m}, {@code 1h}, {@code 1d}. */
  static Optional<Duration> parseDuration(String text) {
    String s = text.strip();
    if (s.equals("0")) {
      return Optional.of(Duration.ZERO);
    }
    Matcher m = DURATION.matcher(s);
    if (!m.matches()) {
      return Optional.empty();
    }
    long n;
    try {
      n = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    try {
      switch (m.group(2)) {
        case "ms":
          return Optional.of(Duration.ofMillis(n));
        case "s":
          return Optional.of(Duration.ofSeconds(n));
        case "m":
          return Optional.of(Duration.ofMinutes(n));
        case "h":
          return Optional.of(Duration.ofHours(n));
        default:
          return Optional.of(Duration.ofDays(n));
      }
    } catch (ArithmeticException e) {
      return Optional.empty();
    }
  }

  /** Parses a size in bytes: {@code 16384}, {@code 16KiB}, {@code 1MiB}; empty when invalid. */
  static Optional<Long> parseSize(String text) {
    Matcher m = SIZE.matcher(text.strip());
    if (!m.matches()) {
      return Optional.empty();
    }
    long unit;
    String u = m.group(2) == null ? "B" : m.group(2);
    switch (u) {
      case "KiB":
      case "k":
      case "K":
        unit = 1024;
        break;
      case "MiB":
        unit = 1024L * 1024;
        break;
      case "GiB":
        unit = 1024L * 1024 * 1024;
        break;
      case "KB":
        unit = 1000;
        break;
      case "MB":
        unit = 1000L * 1000;
        break;
      case "GB":
        unit = 1000L * 1000 * 1000;
        break;
      default:
        unit = 1;
    }
    try {
      return Optional.of(Math.multiplyExact(Long.parseLong(m.group(1)), unit));
    } catch (ArithmeticException | NumberFormatException e) {
      return Optional.empty();
    }
  }

  /** Parses {@code 50%} or a fraction {@code 0.5} into a fraction; empty when not a number. */
  static Optional<Double> parseShare(String text) {
    String s = text.strip();
    try {
      if (s.endsWith("%")) {
        return Optional.of(Double.parseDouble(s.substring(0, s.length() - 1).strip()) / 100.0);
      }
      return Optional.of(Double.parseDouble(s));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  /**
   * {@code s} with every {@code ${VAR}} and {@code ${VAR:-default}} replaced from {@code env} and
   * {@code $${} read as a literal {@code ${}; null after telling {@code problem} why not.
   */
  static String substitute(String s, Map<String, String> env, Consumer<String> problem) {
    if (s.indexOf('$') < 0) {
      return s;
    }
    StringBuilder out = new StringBuilder(s.length());
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '$' && s.startsWith("$${", i)) {
        out.append("${");
        i += 3;
      } else if (c == '$' && s.startsWith("${", i)) {
        int end = s.indexOf('}', i + 2);
        if (end < 0) {
          problem.accept("unclosed '${' in '" + s + "'");
          return null;
        }
        String expr = s.substring(i + 2, end);
        int dflt = expr.indexOf(":-");
        String name = dflt >= 0 ? expr.substring(0, dflt) : expr;
        if (!ENV_NAME.matcher(name).matches()) {
          problem.accept("invalid environment variable name '" + name + "'");
          return null;
        }
        String value = env.get(name);
        if (value == null && dflt < 0) {
          problem.accept("environment variable " + name + " is not set");
          return null;
        }
        out.append(value != null ? value : expr.substring(dflt + 2));
        i = end + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  /** " (did you mean 'x'?)" for a near key, else " (expected one of ...)". */
  static String suggestion(String key, Set<String> keys) {
    String best = null;
    int bestDistance = 3;
    for (String k : keys) {
      int d = distance(key.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    List<String> sorted = new ArrayList<>(keys);
    sorted.sort(null);
    return best != null
        ? " (did you mean '" + best + "'?)"
        : " (expected one of " + String.join(", ", sorted) + ")";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
