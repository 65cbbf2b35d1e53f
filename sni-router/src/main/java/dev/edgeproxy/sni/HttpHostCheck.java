package dev.edgeproxy.sni;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;

/**
 * Pure helpers over one request head: which host it asks for, what the backend is sent, where its
 * redirect goes, whether it is an ACME HTTP-01 challenge. The host is not normalised here beyond
 * syntax (the resolver does that, so that the HTTP and TLS listeners judge names the same way),
 * but only one spelling of a request target and of a host gets through: anything a backend could
 * read as another host than the one checked is refused.
 *
 * <p>Accepted request targets: origin-form ({@code /path?query}), {@code *} for {@code OPTIONS},
 * and absolute-form with scheme {@code http} or {@code https} (any case) whose authority has no
 * user info and names the same host as the Host header. Hosts (Host header and authority): a
 * name of letters, digits, {@code -} and {@code .}, or a bracketed IP literal, then an optional
 * {@code :port} of at most five digits; nothing else (no space, no percent-encoding, no byte
 * outside ASCII).
 */
final class HttpHostCheck {
  static final Reason NO_HOST = Reason.NO_HOST;
  static final Reason BAD_REQUEST = Reason.BAD_REQUEST;
  static final String ACME_PREFIX = "/.well-known/acme-challenge/";
  private static final int MAX_PORT_DIGITS = 5;

  /**
   * What a request asks for, or why it is refused.
   *
   * @param host the host to check: case kept, port and one trailing dot removed
   * @param hostHeader the Host header the backend gets: {@code host[:port]} exactly as checked
   * @param path the request target the backend gets: origin-form, or {@code *}
   * @param error the refusal reason ({@link #NO_HOST}, {@link #BAD_REQUEST}), or null
   */
  record Target(String host, String hostHeader, String path, Reason error) {
    static Target of(Authority authority, String path) {
      return new Target(authority.host(), authority.headerValue(), path, null);
    }

    static Target error(Reason reason) {
      return new Target(null, null, null, reason);
    }
  }

  /** A syntactically valid {@code host[:port]}; {@code port} empty when none was given. */
  record Authority(String host, String port) {
    String headerValue() {
      return port.isEmpty() ? host : host + ":" + port;
    }

    boolean sameHost(Authority other) {
      return host.equalsIgnoreCase(other.host);
    }
  }

  /**
   * The request's target. An absolute-form target names the host that backends such as nginx and
   * Go's net/http route by, so that one is checked; a Host header naming another host is refused,
   * and the backend is sent the origin-form target with the checked Host, so that it has no other
   * host to read.
   */
  static Target target(HttpRequest request) {
    List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
    if (hosts.size() > 1) {
      return Target.error(BAD_REQUEST);
    }
    String header = hosts.isEmpty() ? null : hosts.get(0);
    String uri = request.uri();
    if (uri.startsWith("/") || (uri.equals("*") && HttpMethod.OPTIONS.equals(request.method()))) {
      if (header == null || header.isEmpty()) {
        return Target.error(NO_HOST);
      }
      Authority host = authority(header);
      return host == null ? Target.error(BAD_REQUEST) : Target.of(host, withoutFragment(uri));
    }
    int start = schemeEnd(uri);
    if (start < 0) {
      return Target.error(BAD_REQUEST); // another scheme, authority-form, or garbage
    }
    int end = start;
    while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
      end++;
    }
    Authority target = authority(uri.substring(start, end));
    if (target == null) {
      return Target.error(BAD_REQUEST);
    }
    if (header != null) {
      Authority host = authority(header);
      if (host == null || !host.sameHost(target)) {
        return Target.error(BAD_REQUEST);
      }
    }
    String rest = withoutFragment(uri.substring(end));
    return Target.of(target, rest.startsWith("/") ? rest : "/" + rest);
  }

  /**
   * Parses {@code host[:port]}, or returns null when it is anything else: user info, spaces,
   * percent-encoding, non-ASCII, an empty host, a port that is not at most five digits.
   */
  static Authority authority(String value) {
    String host;
    String rest;
    if (value.startsWith("[")) {
      int close = value.indexOf(']');
      if (close < 2 || !all(value, 1, close, "0123456789abcdefABCDEF:.")) {
        return null;
      }
      host = value.substring(0, close + 1);
      rest = value.substring(close + 1);
    } else {
      int colon = value.indexOf(':');
      host = colon < 0 ? value : value.substring(0, colon);
      rest = colon < 0 ? "" : value.substring(colon);
      if (host.endsWith(".")) {
        host = host.substring(0, host.length() - 1); // the same name; the backend gets it once
      }
      if (host.isEmpty() || !all(host, 0, host.length(), null)) {
        return null;
      }
    }
    if (rest.isEmpty()) {
      return new Authority(host, "");
    }
    if (rest.charAt(0) != ':' || rest.length() - 1 > MAX_PORT_DIGITS || !all(rest, 1, rest.length(), "0123456789")) {
      return null;
    }
    return new Authority(host, rest.substring(1));
  }

  /** Whether every char in [from, to) is in {@code allowed} (null: letters, digits, - and .). */
  private static boolean all(String s, int from, int to, String allowed) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      boolean ok =
          allowed != null
              ? allowed.indexOf(c) >= 0
              : (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static String withoutFragment(String target) {
    int fragment = target.indexOf('#');
    return fragment >= 0 ? target.substring(0, fragment) : target;
  }

  /** {@code https://HOST} + the path and query of an origin-form target, never a port. */
  static String redirectLocation(String host, String path) {
    return "https://" + host + (path.startsWith("/") ? path : "/");
  }

  /**
   * Whether an origin-form target is an ACME HTTP-01 challenge: the prefix, then one token of
   * base64url characters (RFC 8555 8.3), then at most a query. Nothing else passes, so that no
   * backend can be walked from the challenge directory to other content over plain HTTP by its
   * own reading of a path: dot segments, encoded (or doubly encoded) dots and slashes, and the
   * {@code ..;} that a Servlet container takes for a dot segment with a parameter.
   */
  static boolean isAcmeChallenge(String originForm) {
    String path = originForm;
    int query = path.indexOf('?');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    if (!path.startsWith(ACME_PREFIX) || path.length() == ACME_PREFIX.length()) {
      return false;
    }
    for (int i = ACME_PREFIX.length(); i < path.length(); i++) {
      char c = path.charAt(i);
      boolean base64url =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!base64url) {
        return false;
      }
    }
    return true;
  }

  /** Index just after {@code http://} or {@code https://} (any case), or -1. */
  private static int schemeEnd(String uri) {
    if (uri.regionMatches(true, 0, "http://", 0, 7)) {
      return 7;
    }
    if (uri.regionMatches(true, 0, "https://", 0, 8)) {
      return 8;
    }
    return -1;
  }

  private HttpHostCheck() {}
}
