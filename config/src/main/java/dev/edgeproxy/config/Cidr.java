package dev.edgeproxy.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Objects;

/**
 * An IPv4 or IPv6 network such as {@code 100.64.0.0/10} or {@code ::1/128}. A bare address is a
 * single-host network. Host bits after the prefix are ignored ({@code 10.1.2.3/8} is {@code
 * 10.0.0.0/8}).
 */
public record Cidr(InetAddress network, int prefixLength) {
  public Cidr {
    Objects.requireNonNull(network, "network");
    int bits = network.getAddress().length * 8;
    if (prefixLength < 0 || prefixLength > bits) {
      throw new IllegalArgumentException("prefix length " + prefixLength + " is not in 0.." + bits);
    }
    network = mask(network, prefixLength);
  }

  /** The loopback networks {@code 127.0.0.0/8} and {@code ::1/128}. */
  public static java.util.List<Cidr> loopback() {
    return java.util.List.of(parse("127.0.0.0/8"), parse("::1/128"));
  }

  /**
   * Parses {@code address/prefix} or a bare address. Only IP literals are accepted; a name is never
   * resolved.
   *
   * @throws IllegalArgumentException when malformed
   */
  public static Cidr parse(String text) {
    String s = text.strip();
    int slash = s.indexOf('/');
    String address = slash < 0 ? s : s.substring(0, slash);
    InetAddress ip = literal(address, text);
    int bits = ip.getAddress().length * 8;
    int prefix = bits;
    if (slash >= 0) {
      try {
        prefix = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("invalid prefix length in '" + text + "'");
      }
      if (prefix < 0 || prefix > bits) {
        throw new IllegalArgumentException(
            "prefix length " + prefix + " in '" + text + "' is not in 0.." + bits);
      }
    }
    return new Cidr(ip, prefix);
  }

  /** True when {@code address} lies in this network (an IPv4 address never in an IPv6 one). */
  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    byte[] n = network.getAddress();
    if (a.length != n.length) {
      return false;
    }
    return Arrays.equals(mask(a, prefixLength), n);
  }

  private static InetAddress literal(String address, String text) {
    boolean plausible = !address.isEmpty() && (address.indexOf('.') >= 0 || address.indexOf(':') >= 0);
    for (int i = 0; plausible && i < address.length(); i++) {
      char c = address.charAt(i);
      plausible =
          (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.'
              || c == ':';
    }
    if (!plausible) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address or network");
    }
    try {
      // a literal: getByName does not look anything up
      return InetAddress.getByName(address);
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("'" + text + "' is not an IP address or network");
    }
  }

  private static InetAddress mask(InetAddress ip, int prefix) {
    try {
      return InetAddress.getByAddress(mask(ip.getAddress(), prefix));
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] mask(byte[] bytes, int prefix) {
    byte[] out = bytes.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      out[i] = (byte) (out[i] & (0xff00 >> keep));
    }
    return out;
  }

  @Override
  public String toString() {
    return network.getHostAddress() + "/" + prefixLength;
  }
}
