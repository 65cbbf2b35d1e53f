package dev.edgeproxy.config;

/** Shared parsing of {@code host:port} and {@code [v6]:port} for bind addresses and endpoints. */
final class HostPort {
  final String host;
  final int port;

  private HostPort(String host, int port) {
    this.host = host;
    this.port = port;
  }

  /**
   * Parses {@code host:port}, {@code 1.2.3.4:port} or {@code [2001:db8::1]:port}.
   *
   * @throws IllegalArgumentException with a message fit for a config problem
   */
  static HostPort parse(String text) {
    String s = text.strip();
    String host;
    String portText;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0 || close + 1 >= s.length() || s.charAt(close + 1) != ':') {
        throw new IllegalArgumentException(
            "invalid address '" + text + "' (use host:port or [v6]:port)");
      }
      host = s.substring(1, close);
      portText = s.substring(close + 2);
      if (host.indexOf(':') < 0) {
        throw new IllegalArgumentException(
            "invalid address '" + text + "': brackets are only for IPv6 addresses");
      }
    } else {
      int colon = s.lastIndexOf(':');
      if (colon <= 0 || s.indexOf(':') != colon) {
        throw new IllegalArgumentException(
            "invalid address '" + text + "' (use host:port or [v6]:port)");
      }
      host = s.substring(0, colon);
      portText = s.substring(colon + 1);
    }
    return new HostPort(host, parsePort(text, portText));
  }

  static int parsePort(String text, String portText) {
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid port in '" + text + "'");
    }
    checkPort(port);
    return port;
  }

  static void checkPort(int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port " + port + " is not in 1..65535");
    }
  }

  static void checkHost(String host) {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("empty host");
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '-'
              || c == ':'
              || c == '%'
              || c == '_';
      if (!ok) {
        throw new IllegalArgumentException("invalid character '" + c + "' in host '" + host + "'");
      }
    }
  }

  static String format(String host, int port) {
    return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
  }
}
