package dev.edgeproxy.sni;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * Who is connected, as the backend will be told.
 *
 * @param id connection id: in the access log and in the PROXY v2 UNIQUE_ID TLV
 * @param listener listener name: {@code tls} or {@code http}
 * @param client the real client address (the one a load balancer in front reported, when
 *     {@code acceptProxyProtocol} is on)
 * @param local the address the client connected to (as reported by the load balancer, if any)
 */
public record ConnectionInfo(
    String id, String listener, InetSocketAddress client, InetSocketAddress local) {
  public ConnectionInfo {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(listener, "listener");
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(local, "local");
  }
}
