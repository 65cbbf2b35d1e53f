package dev.edgeproxy.sni;

/**
 * What became of a connection: the access log's {@code decision} field and the {@code outcome} tag
 * of {@code edge.connections}. A connection is tagged as it goes; {@link #yieldsTo} says which
 * later tag replaces an earlier one.
 */
public enum Decision {
  /** Relayed to a backend. */
  FORWARDED("forwarded"),
  /** Shadow mode: relayed only because refusals are not enforced. */
  WOULD_REFUSE("would_refuse"),
  /** Closed without reaching any backend. */
  REFUSED("refused"),
  /** Failed on our side or the backend's (no backend, resolver error, client gone early). */
  ERROR("error"),
  /** HTTP listener: only answered here (308 to https). */
  REDIRECTED("redirected");

  private final String wireName;

  Decision(String wireName) {
    this.wireName = wireName;
  }

  /** The access-log and metric value, e.g. {@code would_refuse}. */
  public String wireName() {
    return wireName;
  }

  /**
   * Whether {@code next} replaces this decision. A redirect only answered a request: what a later
   * request on the connection gets wins. A forwarding that never reached a backend turns into the
   * error that stopped it. Refusals and errors are final.
   *
   * @param connected whether a backend connection was made
   */
  boolean yieldsTo(Decision next, boolean connected) {
    return switch (this) {
      case REDIRECTED -> next == ERROR ? !connected : next != REDIRECTED;
      case FORWARDED, WOULD_REFUSE -> next == ERROR && !connected;
      case REFUSED, ERROR -> false;
    };
  }

  /**
   * Whether a reason for cutting the connection (idle, drain, revoked...) is recorded: only a
   * forwarded or redirected connection has none of its own. Would-refuse keeps its refusal reason.
   */
  boolean takesCloseReason() {
    return this == FORWARDED || this == REDIRECTED;
  }

  @Override
  public String toString() {
    return wireName;
  }
}
