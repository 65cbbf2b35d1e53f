package dev.edgeproxy.allowlist;

import java.net.IDN;
import java.util.Locale;
import java.util.Optional;

/**
 * A DNS host name in canonical form: IDNA A-labels, lower case, no trailing dot, RFC 1123 labels,
 * at most 253 characters. Two host names are equal exactly when they name the same host.
 *
 * <p>Parsing is on the connection hot path (every SNI goes through it), so plain ASCII input is
 * checked in one pass without allocating more than the result; only non-ASCII input goes through
 * {@link IDN}.
 */
public final class HostName implements Comparable<HostName> {
  static final int MAX_LENGTH = 253;
  static final int MAX_LABEL_LENGTH = 63;

  private final String value;

  private HostName(String value) {
    this.value = value;
  }

  /**
   * Parses and normalises a host name.
   *
   * @throws InvalidHostNameException with a human-readable reason when it is not a valid host name
   */
  public static HostName parse(String raw) {
    String reason = problem(raw);
    if (reason != null) {
      throw new InvalidHostNameException(raw, reason);
    }
    return new HostName(normalise(raw));
  }

  /** Like {@link #parse} but empty instead of throwing; for untrusted input such as an SNI. */
  public static Optional<HostName> tryParse(String raw) {
    if (problem(raw) != null) {
      return Optional.empty();
    }
    return Optional.of(new HostName(normalise(raw)));
  }

  /** The canonical text: lower-case A-labels, no trailing dot. */
  public String value() {
    return value;
  }

  /** The name without its first label ("b.c" for "a.b.c"), or empty for a single-label name. */
  public Optional<String> parentDomain() {
    int dot = value.indexOf('.');
    return dot < 0 ? Optional.empty() : Optional.of(value.substring(dot + 1));
  }

  /** Returns null when valid, else why not. Works on the raw text so errors can quote it. */
  private static String problem(String raw) {
    if (raw == null || raw.isEmpty()) {
      return "empty host name";
    }
    String ascii;
    try {
      ascii = toAscii(raw);
    } catch (IllegalArgumentException e) {
      return "not a valid internationalised host name (" + e.getMessage() + ")";
    }
    if (ascii.endsWith(".")) {
      ascii = ascii.substring(0, ascii.length() - 1);
    }
    if (ascii.isEmpty()) {
      return "empty host name";
    }
    if (ascii.length() > MAX_LENGTH) {
      return "longer than " + MAX_LENGTH + " characters";
    }
    int labelStart = 0;
    for (int i = 0; i <= ascii.length(); i++) {
      char c = i == ascii.length() ? '.' : ascii.charAt(i);
      if (c == '.') {
        int labelLength = i - labelStart;
        if (labelLength == 0) {
          return "empty label";
        }
        if (labelLength > MAX_LABEL_LENGTH) {
          return "label longer than " + MAX_LABEL_LENGTH + " characters";
        }
        if (ascii.charAt(labelStart) == '-' || ascii.charAt(i - 1) == '-') {
          return "label starts or ends with '-'";
        }
        labelStart = i + 1;
      } else if (!isLdh(c)) {
        return "character '" + c + "' is not allowed in a host name";
      }
    }
    return null;
  }

  private static String normalise(String raw) {
    String ascii = toAscii(raw).toLowerCase(Locale.ROOT);
    return ascii.endsWith(".") ? ascii.substring(0, ascii.length() - 1) : ascii;
  }

  private static String toAscii(String raw) {
    for (int i = 0; i < raw.length(); i++) {
      if (raw.charAt(i) >= 0x80) {
        return IDN.toASCII(raw, IDN.ALLOW_UNASSIGNED);
      }
    }
    return raw;
  }

  private static boolean isLdh(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostName other && value.equals(other.value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }

  @Override
  public int compareTo(HostName o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
