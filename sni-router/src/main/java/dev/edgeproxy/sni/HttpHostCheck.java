package dev.edgeproxy.sni;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;
import java.util.Locale;

/**
 * Pure helpers over one request head: which host it asks for, where its redirect goes, whether it
 * is an ACME HTTP-01 challenge. Nothing here normalises the host: the resolver does, so that the
 * HTTP and TLS listeners judge names the same way.
 */
final class HttpHostCheck {
  static final String NO_HOST = "no_host";
  static final String BAD_REQUEST = "bad_request";
  static final String ACME_PREFIX = "/.well-known/acme-challenge/";

  /** The host a request asks for (port removed, case kept), or why it names none usable. */
  record Target(String host, String error) {
    static Target of(String host) {
      return new Target(host, null);
    }

    static Target error(String reason) {
      return new Target(null, reason);
    }
  }

  /**
   * The request's host. An absolute-form target ({@code GET http://a.example/ HTTP/1.1}) names the
   * host that backends such as nginx route by, so that one is checked, and a Host header that
   * disagrees with it is refused: otherwise the check and the backend could see different hosts.
   */
  static Target target(HttpRequest request) {
    List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
    if (hosts.size() > 1) {
      return Target.error(BAD_REQUEST);
    }
    String header = hosts.isEmpty() ? null : hosts.get(0).trim();
    String authority = absoluteAuthority(request.uri());
    if (authority != null) {
      if (authority.isEmpty() || authority.indexOf('@') >= 0) {
        return Target.error(BAD_REQUEST);
      }
      String host = stripPort(authority);
      if (header != null && !stripPort(header).equalsIgnoreCase(host)) {
        return Target.error(BAD_REQUEST);
      }
      return Target.of(host);
    }
    if (header == null || header.isEmpty()) {
      return Target.error(NO_HOST);
    }
    return Target.of(stripPort(header));
  }

  /**
   * {@code host[:port]} without the port. {@code [v6]:port} keeps its brackets; a value whose
   * suffix is not a port is returned whole, for the resolver to refuse as an invalid name.
   */
  static String stripPort(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      return hostPort;
    }
    if (hostPort.startsWith("[")) {
      int close = hostPort.indexOf(']');
      return close >= 0 && close < colon ? hostPort.substring(0, close + 1) : hostPort;
    }
    for (int i = colon + 1; i < hostPort.length(); i++) {
      char c = hostPort.charAt(i);
      if (c < '0' || c > '9') {
        return hostPort;
      }
    }
    return hostPort.substring(0, colon);
  }

  /** The authority of an absolute-form request target, or null for any other form. */
  static String absoluteAuthority(String uri) {
    int start = schemeEnd(uri);
    if (start < 0) {
      return null;
    }
    int end = start;
    while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
      end++;
    }
    return uri.substring(start, end);
  }

  /** Path and query of a request target in origin or absolute form; {@code /} for anything else. */
  static String pathAndQuery(String uri) {
    String rest = uri;
    int start = schemeEnd(uri);
    if (start >= 0) {
      int end = start;
      while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
        end++;
      }
      rest = uri.substring(end);
    }
    int fragment = rest.indexOf('#');
    if (fragment >= 0) {
      rest = rest.substring(0, fragment);
    }
    if (rest.startsWith("?")) {
      return "/" + rest;
    }
    return rest.startsWith("/") ? rest : "/";
  }

  /** {@code https://HOST} + the original path and query, never a port. */
  static String redirectLocation(String host, String uri) {
    return "https://" + host + pathAndQuery(uri);
  }

  /**
   * Whether the request is for an ACME HTTP-01 challenge token. Dot segments and encoded dots or
   * slashes are not accepted, so that a backend which normalises paths cannot be walked from the
   * challenge directory to other content over plain HTTP.
   */
  static boolean isAcmeChallenge(String uri) {
    String path = pathAndQuery(uri);
    int query = path.indexOf('?');
    if (query >= 0) {
      path = path.substring(0, query);
    }
    if (!path.startsWith(ACME_PREFIX) || path.length() == ACME_PREFIX.length()) {
      return false;
    }
    String lower = path.toLowerCase(Locale.ROOT);
    return !(lower.contains("/./") || lower.contains("/../") || lower.endsWith("/.") || lower.endsWith("/..")
        || lower.contains("%2e") || lower.contains("%2f") || lower.contains("%5c") || lower.indexOf('\\') >= 0);
  }

  /** Index just after {@code http://} or {@code https://} (any case), or -1. */
  private static int schemeEnd(String uri) {
    String lower = uri.length() > 8 ? uri.substring(0, 8).toLowerCase(Locale.ROOT) : uri.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://")) {
      return 7;
    }
    if (lower.startsWith("https://")) {
      return 8;
    }
    return -1;
  }

  private HttpHostCheck() {}
}
