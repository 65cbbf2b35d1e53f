package dev.edgeproxy.sni;

/**
 * Why a connection was refused, failed or was cut. The wire name is the access log's {@code reason}
 * field and the {@code reason} tag of {@code edge.connections}: renaming one breaks dashboards.
 */
public enum Reason {
  // Refused by the routing decision (TLS: with an unrecognized_name alert).
  /** The host is on no allow-list entry. */
  NOT_ALLOWED("not_allowed"),
  /** The host matches a deny entry. */
  DENIED("denied"),
  /** The ClientHello names no server and no no-SNI pool is configured. */
  NO_SNI("no_sni"),
  /** The name is not a valid host name. */
  INVALID_HOST("invalid_host"),
  /** The pool has no endpoint to try, or every candidate failed. */
  NO_BACKEND("no_backend"),

  // Refused while reading the first bytes.
  /** The first byte is not a TLS handshake record. */
  NOT_TLS("not_tls"),
  /** TLS, but not a ClientHello a client may send (answered with a decode_error alert). */
  MALFORMED("malformed"),
  /** The hello or HTTP head exceeds its cap. */
  TOO_LARGE("too_large"),
  /** No complete hello or HTTP head in time. */
  TIMEOUT("timeout"),
  /** Over the per-client or total connection limit. */
  LIMIT("limit"),
  /** The hello buffer would take the listener's memory budget over its limit. */
  MEMORY_BUDGET("memory_budget"),
  /** Shed to bring the listener's memory budget back under its limit. */
  MEMORY_SHED("memory_shed"),
  /** A PROXY header from a peer that is not trusted to send one. */
  UNTRUSTED_PROXY("untrusted_proxy"),
  /** An incoming PROXY header that does not decode. */
  BAD_PROXY_HEADER("bad_proxy_header"),

  // HTTP listener.
  /** A request without a Host. */
  NO_HOST("no_host"),
  /** A request Netty's decoder or the host check refuses. */
  BAD_REQUEST("bad_request"),
  /** A request for another host than the connection's first one. */
  MISDIRECTED("misdirected"),
  /** More pipelined requests than allowed. */
  PIPELINE_LIMIT("pipeline_limit"),
  /** The backend closed while a response was due. */
  BACKEND_CLOSED("backend_closed"),
  /** The backend's response failed to decode or the socket failed. */
  BACKEND_ERROR("backend_error"),

  // Errors and the end of forwarded connections.
  /** The resolver threw. */
  RESOLVER_ERROR("resolver_error"),
  /** The PROXY header for the backend could not be built. */
  PROXY_HEADER("proxy_header"),
  /** The client went away before a decision, or cut a request short. */
  CLIENT_CLOSED("client_closed"),
  /** A socket error. */
  IO_ERROR("io_error"),
  /** No byte either way for the idle timeout. */
  IDLE_TIMEOUT("idle_timeout"),
  /** After a FIN, no byte either way for the half-closed timeout. */
  HALF_CLOSED_TIMEOUT("half_closed_timeout"),
  /** Closed at shutdown after the drain timeout. */
  DRAIN("drain"),
  /** The host left the allow-list and closeRevokedAfter passed. */
  REVOKED("revoked");

  private final String wireName;

  Reason(String wireName) {
    this.wireName = wireName;
  }

  /** The access-log and metric value, e.g. {@code not_allowed}. */
  public String wireName() {
    return wireName;
  }

  @Override
  public String toString() {
    return wireName;
  }
}
