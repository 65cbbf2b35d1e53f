package dev.edgeproxy.sni;

import java.util.List;

/**
 * What a complete ClientHello told us.
 *
 * @param serverName the raw {@code host_name} of the server_name extension (bytes as ISO-8859-1
 *     characters, neither validated nor lower-cased), or null when the hello carried none
 * @param alpn the ALPN protocol names offered, in order (empty when none)
 * @param encryptedClientHello whether the {@code encrypted_client_hello} extension (0xfe0d) was
 *     present; {@code serverName} is then the outer, public name
 * @param bytesConsumed bytes of the stream the hello occupied, record headers included
 * @param records how many TLS records carried it
 */
public record ClientHelloInfo(
    String serverName, List<String> alpn, boolean encryptedClientHello, int bytesConsumed, int records) {
  public ClientHelloInfo {
    alpn = List.copyOf(alpn);
  }
}
