package dev.edgeproxy.sni;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which protocol switch a forwarded request may ask for. After a {@code 101} the connection is a
 * raw tunnel that is no longer checked, so only a WebSocket handshake may lead there: after an
 * {@code h2c} upgrade a backend would serve HTTP/2 streams for any {@code :authority}. Every other
 * upgrade offer is removed from the request (the backend then answers in HTTP/1.1, as a server
 * that does not know the protocol does), and so are {@code HTTP2-Settings} and every
 * {@code Connection} option except {@code close}, {@code keep-alive} and the WebSocket
 * {@code upgrade}.
 */
final class HttpUpgrades {
  private static final String WEBSOCKET = "websocket";
  private static final String HTTP2_SETTINGS = "HTTP2-Settings";

  /**
   * Rewrites the request's hop-by-hop headers in place.
   *
   * @return true when the request is a WebSocket handshake (GET, HTTP/1.1, {@code Upgrade} naming
   *     only {@code websocket}, {@code Connection} naming {@code upgrade}); only then may a
   *     {@code 101} answer it
   */
  static boolean sanitize(HttpRequest request) {
    HttpHeaders headers = request.headers();
    headers.remove(HTTP2_SETTINGS);
    List<String> connection = tokens(headers.getAll(HttpHeaderNames.CONNECTION));
    List<String> upgrade = tokens(headers.getAll(HttpHeaderNames.UPGRADE));
    boolean websocket =
        HttpMethod.GET.equals(request.method())
            && HttpVersion.HTTP_1_1.equals(request.protocolVersion())
            && connection.contains(HttpHeaderValues.UPGRADE.toString())
            && !upgrade.isEmpty()
            && upgrade.stream().allMatch(WEBSOCKET::equals);
    if (!websocket) {
      headers.remove(HttpHeaderNames.UPGRADE);
    } else if (upgrade.size() > 1) {
      headers.set(HttpHeaderNames.UPGRADE, WEBSOCKET);
    }
    List<String> kept = new ArrayList<>(2);
    for (String token : connection) {
      boolean keep =
          token.equals(HttpHeaderValues.CLOSE.toString())
              || token.equals(HttpHeaderValues.KEEP_ALIVE.toString())
              || (websocket && token.equals(HttpHeaderValues.UPGRADE.toString()));
      if (keep && !kept.contains(token)) {
        kept.add(token);
      }
    }
    if (!kept.equals(connection) || headers.getAll(HttpHeaderNames.CONNECTION).size() > 1) {
      headers.remove(HttpHeaderNames.CONNECTION);
      if (!kept.isEmpty()) {
        headers.set(HttpHeaderNames.CONNECTION, String.join(", ", kept));
      }
    }
    return websocket;
  }

  /** Whether a {@code 101} switches to WebSocket, the one protocol the request was let ask for. */
  static boolean switchesToWebSocket(HttpResponse response) {
    List<String> upgrade = tokens(response.headers().getAll(HttpHeaderNames.UPGRADE));
    return upgrade.size() == 1 && upgrade.get(0).equals(WEBSOCKET);
  }

  /** Comma-separated tokens of every field line, trimmed, lower case, empty ones left out. */
  private static List<String> tokens(List<String> values) {
    List<String> out = new ArrayList<>();
    for (String value : values) {
      for (String token : value.split(",")) {
        String t = token.strip().toLowerCase(Locale.ROOT);
        if (!t.isEmpty()) {
          out.add(t);
        }
      }
    }
    return out;
  }

  private HttpUpgrades() {}
}
