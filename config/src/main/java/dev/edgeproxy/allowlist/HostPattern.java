package dev.edgeproxy.allowlist;

import java.util.Optional;

/**
 * An allow-list, deny-list or route pattern: an exact host name, or {@code *.zone}, which matches
 * exactly one extra label in front of {@code zone} (not {@code zone} itself, not two labels).
 */
public final class HostPattern implements Comparable<HostPattern> {
  private final HostName name;
  private final boolean wildcard;

  private HostPattern(HostName name, boolean wildcard) {
    this.name = name;
    this.wildcard = wildcard;
  }

  /** Parses {@code host} or {@code *.zone}; a {@code *} anywhere else is an error. */
  public static HostPattern parse(String raw) {
    if (raw == null) {
      throw new InvalidHostNameException("null", "empty host name");
    }
    String text = raw.strip();
    if (text.startsWith("*.")) {
      String zone = text.substring(2);
      if (zone.indexOf('*') >= 0) {
        throw new InvalidHostNameException(raw, "'*' is only allowed as the whole first label");
      }
      return new HostPattern(HostName.parse(zone), true);
    }
    if (text.indexOf('*') >= 0) {
      throw new InvalidHostNameException(raw, "'*' is only allowed as the whole first label");
    }
    return new HostPattern(HostName.parse(text), false);
  }

  public static HostPattern exact(HostName host) {
    return new HostPattern(host, false);
  }

  public static HostPattern wildcard(HostName zone) {
    return new HostPattern(zone, true);
  }

  public boolean isWildcard() {
    return wildcard;
  }

  /** The exact host, or for a wildcard the zone after {@code *.}. */
  public HostName name() {
    return name;
  }

  public boolean matches(HostName host) {
    if (!wildcard) {
      return name.equals(host);
    }
    Optional<String> parent = host.parentDomain();
    return parent.isPresent() && parent.get().equals(name.value());
  }

  /** Number of labels; a wildcard counts its {@code *}. Longer wildcards are more specific. */
  public int labelCount() {
    String v = name.value();
    int labels = 1;
    for (int i = 0; i < v.length(); i++) {
      if (v.charAt(i) == '.') {
        labels++;
      }
    }
    return wildcard ? labels + 1 : labels;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostPattern other && wildcard == other.wildcard && name.equals(other.name);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + (wildcard ? 1 : 0);
  }

  @Override
  public int compareTo(HostPattern o) {
    return toString().compareTo(o.toString());
  }

  @Override
  public String toString() {
    return wildcard ? "*." + name.value() : name.value();
  }
}
