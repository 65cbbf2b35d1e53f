package dev.edgeproxy.sni;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/** The answer of a {@link RouteResolver}: forward to a pool, or refuse. */
public sealed interface RouteDecision permits RouteDecision.Forward, RouteDecision.Refuse {

  /**
   * Forward the connection.
   *
   * @param pool the backend pool name (for logs and metrics)
   * @param candidates endpoints to try in this order; the next one is tried when a connect fails or
   *     times out
   * @param connectTimeout per-attempt connect timeout
   * @param proxyHeader which PROXY protocol header to write first, and its TLVs
   * @param host the normalised host (for the access log and the AUTHORITY TLV), or null when none
   * @param wouldRefuseReason non-null in shadow mode when the connection is forwarded only because
   *     refusals are not enforced: it is then logged and counted as {@code would_refuse}
   */
  record Forward(
      String pool,
      List<Upstream> candidates,
      Duration connectTimeout,
      ProxyHeaderSpec proxyHeader,
      String host,
      Reason wouldRefuseReason)
      implements RouteDecision {
    public Forward {
      Objects.requireNonNull(pool, "pool");
      candidates = List.copyOf(candidates);
      Objects.requireNonNull(connectTimeout, "connectTimeout");
      Objects.requireNonNull(proxyHeader, "proxyHeader");
    }
  }

  /**
   * Refuse the connection: nothing is sent to any backend.
   *
   * @param why for logs and metrics: not_allowed, denied, no_sni, invalid_host, no_backend, ...
   * @param host the normalised host if there was a valid one, for the access log
   * @param alert whether to send a fatal TLS {@code unrecognized_name} alert (refusals by name) or
   *     simply close
   */
  record Refuse(Reason why, String host, boolean alert) implements RouteDecision {
    public Refuse {
      Objects.requireNonNull(why, "why");
    }

    /**
     * The wire name of {@link #why()}, for the HTTP frontend only.
     *
     * @deprecated remove once the HTTP frontend passes {@link Reason}s
     */
    @Deprecated(forRemoval = true)
    public String reason() {
      return why.wireName();
    }
  }
}
