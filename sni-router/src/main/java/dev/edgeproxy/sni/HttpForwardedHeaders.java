package dev.edgeproxy.sni;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.List;

/**
 * The headers by which a proxy tells the next hop who the client is and what it asked for. The
 * HTTP listener is the first hop from the internet (it accepts no PROXY header and no proxy in
 * front), so any such header on a request was written by the client: it is removed before the
 * request is forwarded. A backend that trusts the node for them (natural for a pool without a
 * PROXY header, whose backend sees only the node's address) would otherwise take a client's
 * {@code X-Forwarded-For} as its address, its {@code X-Forwarded-Proto: https} for a request that
 * came in plain, or its {@code X-Forwarded-Host} for the host to build links with.
 */
final class HttpForwardedHeaders {
  static final List<String> NAMES =
      List.of(
          "Forwarded",
          "X-Forwarded-For",
          "X-Forwarded-Host",
          "X-Forwarded-Proto",
          "X-Forwarded-Port",
          "X-Forwarded-Prefix",
          "X-Forwarded-Server",
          "X-Real-IP");

  /** Removes every client-written forwarding header from {@code headers}. */
  static void remove(HttpHeaders headers) {
    for (String name : NAMES) {
      headers.remove(name);
    }
  }

  private HttpForwardedHeaders() {}
}
