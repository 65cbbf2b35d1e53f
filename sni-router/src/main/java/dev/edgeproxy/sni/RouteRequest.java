package dev.edgeproxy.sni;

import java.util.List;

/**
 * What the resolver is asked about.
 *
 * @param connection the connection (id, listener, real client address)
 * @param serverName the host the client asked for, exactly as sent (SNI or HTTP Host without
 *     port), or null when it sent none; not yet validated or normalised
 * @param alpn the ALPN protocols offered, in order (empty when none or not TLS)
 * @param encryptedClientHello whether the hello carried an Encrypted Client Hello extension (then
 *     {@code serverName} is the outer, public name)
 */
public record RouteRequest(
    ConnectionInfo connection, String serverName, List<String> alpn, boolean encryptedClientHello) {
  public RouteRequest {
    alpn = List.copyOf(alpn);
  }
}
