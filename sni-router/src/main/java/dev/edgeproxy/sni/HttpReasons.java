package dev.edgeproxy.sni;

/**
 * Every reason the HTTP listener tags a connection with: the access-log and metric values, in one
 * place so that they can become one enum with the TLS path's. The values are part of the access
 * log and the metrics: do not rename.
 */
final class HttpReasons {
  /** Not one complete request head within the header timeout. */
  static final String TIMEOUT = "timeout";
  /** A request line or head over the configured size. */
  static final String TOO_LARGE = "too_large";
  /** A keep-alive request routed to another pool than the connection's backend. */
  static final String MISDIRECTED = "misdirected";
  /** More requests pipelined than {@link HttpRequestQueue#MAX_QUEUED_REQUESTS}. */
  static final String PIPELINE_LIMIT = "pipeline_limit";
  static final String NO_HOST = "no_host";
  static final String BAD_REQUEST = "bad_request";
  static final String CLIENT_CLOSED = "client_closed";
  static final String IDLE_TIMEOUT = "idle_timeout";
  static final String IO_ERROR = "io_error";
  static final String RESOLVER_ERROR = "resolver_error";
  static final String BACKEND_CLOSED = "backend_closed";
  static final String BACKEND_ERROR = "backend_error";
  /** No candidate of the pool answered (the TLS path's value too). */
  static final String NO_BACKEND = "no_backend";
  /** Closed to give memory back to the data path's budget (the TLS path's value too). */
  static final String MEMORY_SHED = "memory_shed";

  private HttpReasons() {}
}
