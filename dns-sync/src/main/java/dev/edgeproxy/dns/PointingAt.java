package dev.edgeproxy.dns;

import dev.edgeproxy.allowlist.HostName;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.route53.model.AliasTarget;
import software.amazon.awssdk.services.route53.model.ResourceRecord;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;

/**
 * The addresses and names of this entrance node ({@code allowlist.route53.pointingAt}), and the
 * rule that decides whether a record set sends clients here: an A/AAAA set with any one value among
 * the addresses (round robin between entrance nodes is common), a CNAME to one of the names, or an
 * alias (A, AAAA or CNAME) whose target is one of the names, ignoring {@code dualstack.}.
 */
final class PointingAt {
  private static final String DUALSTACK = "dualstack.";

  private final Set<InetAddress> addresses;
  private final Set<String> names;
  private final Set<String> aliasNames;

  private PointingAt(Set<InetAddress> addresses, Set<String> names) {
    this.addresses = Set.copyOf(addresses);
    this.names = Set.copyOf(names);
    Set<String> alias = new HashSet<>();
    for (String name : names) {
      alias.add(withoutDualstack(name));
    }
    this.aliasNames = Set.copyOf(alias);
  }

  /**
   * Parses IPv4 and IPv6 literals and DNS names; never resolves anything.
   *
   * @throws IllegalArgumentException naming the first value that is neither
   */
  static PointingAt parse(List<String> values) {
    Set<InetAddress> addresses = new HashSet<>();
    Set<String> names = new HashSet<>();
    for (String value : values) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException("pointingAt: empty value");
      }
      Optional<InetAddress> address = ipLiteral(value);
      if (address.isPresent()) {
        addresses.add(address.get());
        continue;
      }
      if (looksLikeAddress(value.strip())) {
        throw new IllegalArgumentException("pointingAt: '" + value + "' is not a valid IP address");
      }
      Optional<HostName> name = HostName.tryParse(value.strip());
      if (name.isEmpty()) {
        throw new IllegalArgumentException(
            "pointingAt: '" + value + "' is neither an IP address nor a DNS host name");
      }
      names.add(name.get().value());
    }
    return new PointingAt(addresses, names);
  }

  boolean matches(ResourceRecordSet set) {
    String type = set.typeAsString();
    boolean addressType = "A".equals(type) || "AAAA".equals(type);
    AliasTarget alias = set.aliasTarget();
    if (alias != null) {
      if ((addressType || "CNAME".equals(type)) && alias.dnsName() != null) {
        return aliasNames.contains(withoutDualstack(Route53Names.canonical(alias.dnsName())));
      }
      return false;
    }
    if (addressType) {
      for (ResourceRecord record : set.resourceRecords()) {
        Optional<InetAddress> address = ipLiteral(record.value());
        if (address.isPresent() && addresses.contains(address.get())) {
          return true;
        }
      }
      return false;
    }
    if ("CNAME".equals(type)) {
      for (ResourceRecord record : set.resourceRecords()) {
        if (record.value() != null && names.contains(Route53Names.canonical(record.value()))) {
          return true;
        }
      }
    }
    return false;
  }

  private static String withoutDualstack(String name) {
    return name.startsWith(DUALSTACK) ? name.substring(DUALSTACK.length()) : name;
  }

  private static boolean looksLikeAddress(String text) {
    return text.indexOf(':') >= 0 || text.matches("[0-9.]+");
  }

  /**
   * An IP literal as an address, without any DNS lookup: IPv4 is converted by hand (an octet over
   * 255 would make {@link InetAddress#getByName} fall back to DNS), IPv6 is passed in brackets,
   * which {@link InetAddress} only ever parses as a literal.
   */
  static Optional<InetAddress> ipLiteral(String raw) {
    if (raw == null) {
      return Optional.empty();
    }
    String text = raw.strip();
    if (text.startsWith("[") && text.endsWith("]")) {
      text = text.substring(1, text.length() - 1);
    }
    if (text.isEmpty()) {
      return Optional.empty();
    }
    if (text.indexOf(':') >= 0) {
      for (int i = 0; i < text.length(); i++) {
        char c = Character.toLowerCase(text.charAt(i));
        if (!(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f') && c != ':' && c != '.') {
          return Optional.empty();
        }
      }
      try {
        return Optional.of(InetAddress.getByName("[" + text.toLowerCase(Locale.ROOT) + "]"));
      } catch (UnknownHostException e) {
        return Optional.empty();
      }
    }
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      return Optional.empty();
    }
    byte[] bytes = new byte[4];
    for (int i = 0; i < 4; i++) {
      String part = parts[i];
      if (part.isEmpty() || part.length() > 3) {
        return Optional.empty();
      }
      int value = 0;
      for (int j = 0; j < part.length(); j++) {
        char c = part.charAt(j);
        if (c < '0' || c > '9') {
          return Optional.empty();
        }
        value = value * 10 + (c - '0');
      }
      if (value > 255) {
        return Optional.empty();
      }
      bytes[i] = (byte) value;
    }
    try {
      return Optional.of(InetAddress.getByAddress(bytes));
    } catch (UnknownHostException e) {
      return Optional.empty(); // only for a wrong array length, which cannot happen here
    }
  }
}
