package dev.edgeproxy.sni;

/**
 * The summary of one finished connection: one access-log line, one set of metric updates.
 *
 * @param connection who it was
 * @param host the host asked for (normalised when valid, raw otherwise), or null when none
 * @param decision forwarded, refused, would_refuse, error or redirected
 * @param reason why it was refused, failed or cut, or null when forwarded and closed normally
 * @param pool the backend pool, or null
 * @param endpoint the endpoint that served it, or null
 * @param bytesIn bytes received from the client (including the peeked hello)
 * @param bytesOut bytes sent to the client
 * @param durationNanos from accept to close
 */
public record ConnectionRecord(
    ConnectionInfo connection,
    String host,
    Decision decision,
    Reason reason,
    String pool,
    String endpoint,
    long bytesIn,
    long bytesOut,
    long durationNanos) {}
