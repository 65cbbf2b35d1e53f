package dev.edgeproxy.dns;

import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.InvalidHostNameException;
import java.util.Locale;

/**
 * Route53's text form of DNS names. The API returns every character other than {@code a-z 0-9 - _}
 * as a three-digit octal escape ({@code \052} for {@code *}), so names must be decoded before they
 * can be compared or turned into host patterns.
 */
final class Route53Names {
  private Route53Names() {}

  /**
   * Decodes {@code \ddd} octal escapes (and, as in zone files, {@code \X} for a literal X).
   *
   * @throws IllegalArgumentException when an escape is malformed or names a non-ASCII or control
   *     byte: such a name can never equal a host name a client sends
   */
  static String decode(String raw) {
    if (raw.indexOf('\\') < 0) {
      return raw;
    }
    StringBuilder out = new StringBuilder(raw.length());
    int i = 0;
    while (i < raw.length()) {
      char c = raw.charAt(i);
      if (c != '\\') {
        out.append(c);
        i++;
        continue;
      }
      if (i + 1 >= raw.length()) {
        throw new IllegalArgumentException("name ends in a lone backslash");
      }
      char next = raw.charAt(i + 1);
      if (isDigit(next)) {
        if (i + 3 >= raw.length()) {
          throw new IllegalArgumentException("truncated escape at position " + i);
        }
        char d2 = raw.charAt(i + 2);
        char d3 = raw.charAt(i + 3);
        if (!isOctal(next) || !isOctal(d2) || !isOctal(d3)) {
          throw new IllegalArgumentException("malformed escape '" + raw.substring(i, i + 4) + "'");
        }
        int value = (next - '0') * 64 + (d2 - '0') * 8 + (d3 - '0');
        if (value < 0x21 || value > 0x7e) {
          throw new IllegalArgumentException(
              "escape '" + raw.substring(i, i + 4) + "' is not a printable ASCII character");
        }
        out.append((char) value);
        i += 4;
      } else {
        out.append(next);
        i += 2;
      }
    }
    return out.toString();
  }

  /** Lower case, escapes decoded, no trailing dot; the form names are compared in. */
  static String canonical(String raw) {
    String text = raw.strip();
    // an escaped dot is a character inside a label, not a separator: such a name stays escaped,
    // so it never compares equal to the dotted name it would otherwise decode to
    if (!hasEscapedDot(text)) {
      try {
        text = decode(text);
      } catch (IllegalArgumentException e) {
        // compared as written
      }
    }
    text = text.toLowerCase(Locale.ROOT);
    int end = text.length();
    while (end > 0 && text.charAt(end - 1) == '.') {
      end--;
    }
    return text.substring(0, end);
  }

  /**
   * The allow-list pattern for a record name: {@code \052.zone.} becomes {@code *.zone}.
   *
   * @throws InvalidHostNameException when the decoded name is not a host name or wildcard
   */
  static HostPattern toPattern(String recordName) {
    String decoded;
    try {
      decoded = decode(recordName);
    } catch (IllegalArgumentException e) {
      throw new InvalidHostNameException(recordName, e.getMessage());
    }
    if (hasEscapedDot(recordName)) {
      // x\056y.example.com. is one label "x.y" in DNS, never the host x.y.example.com
      throw new InvalidHostNameException(
          recordName, "has an escaped dot inside a label: no client can send that name");
    }
    for (int i = 0; i < decoded.length(); i++) {
      char c = decoded.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        // HostPattern.parse strips whitespace; a decoded space must not vanish silently.
        throw new InvalidHostNameException(recordName, "contains a space or control character");
      }
    }
    return HostPattern.parse(decoded);
  }

  /** True when an escape ({@code \056} or {@code \.}) stands for a dot inside a label. */
  static boolean hasEscapedDot(String raw) {
    for (int i = 0; i < raw.length(); i++) {
      if (raw.charAt(i) != '\\' || i + 1 >= raw.length()) {
        continue;
      }
      char next = raw.charAt(i + 1);
      if (next == '.') {
        return true;
      }
      if (isDigit(next) && i + 3 < raw.length() && raw.startsWith("056", i + 1)) {
        return true;
      }
      i += isDigit(next) ? 3 : 1; // skip the escape: "\\" is a backslash, not an escape
    }
    return false;
  }

  /** True when the canonical name is the apex or below it. */
  static boolean isWithin(String canonicalName, String canonicalApex) {
    return canonicalName.equals(canonicalApex) || canonicalName.endsWith("." + canonicalApex);
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isOctal(char c) {
    return c >= '0' && c <= '7';
  }
}
