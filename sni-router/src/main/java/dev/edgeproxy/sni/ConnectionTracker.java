package dev.edgeproxy.sni;

import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;

/**
 * The life of one client connection as {@link RouterEvents} sees it: it reports {@code
 * connectionOpened} once, collects the outcome and byte counts, and reports exactly one {@link
 * ConnectionRecord} when the client channel has closed.
 *
 * <p>Listeners create one per accepted channel with {@link #accept}, then call {@link #open()} (or
 * {@link #open(InetSocketAddress, InetSocketAddress)} once an incoming PROXY header told the real
 * addresses). Refusing listeners tag the outcome with {@link #refuse} or {@link #fail} and close the
 * channel; the forwarding handlers tag forwarded connections themselves.
 *
 * <p>Every method must be called on the channel's event loop; nothing here is synchronized.
 */
public final class ConnectionTracker {
  private final Channel channel;
  private final RouterEvents events;
  private final long startNanos;
  private ConnectionInfo info;
  private boolean opened;
  private boolean reported;
  private String host;
  private Decision decision;
  private Reason reason;
  private String pool;
  private String endpoint;
  private long bytesIn;
  private long bytesOut;

  private ConnectionTracker(Channel channel, ConnectionInfo info, RouterEvents events) {
    this.channel = channel;
    this.info = info;
    this.events = events;
    this.startNanos = System.nanoTime();
  }

  /**
   * Starts tracking a just-accepted channel: the accept time is now. Nothing is reported until
   * {@link #open()}; a channel that closes before it is reported as opened and closed.
   *
   * @param id the connection id (access log, PROXY v2 UNIQUE_ID)
   * @param listener the listener name, e.g. {@code tls} or {@code http}
   */
  public static ConnectionTracker accept(Channel channel, String id, String listener, RouterEvents events) {
    Objects.requireNonNull(channel, "channel");
    Objects.requireNonNull(events, "events");
    ConnectionInfo info =
        new ConnectionInfo(id, listener, inet(channel.remoteAddress()), inet(channel.localAddress()));
    ConnectionTracker tracker = new ConnectionTracker(channel, info, events);
    channel.closeFuture().addListener(f -> tracker.reportLater());
    return tracker;
  }

  /** Reports {@code connectionOpened} with the socket's own addresses. */
  public void open() {
    if (!opened) {
      opened = true;
      events.connectionOpened(info);
    }
  }

  /** Reports {@code connectionOpened} with the addresses an incoming PROXY header reported. */
  public void open(InetSocketAddress client, InetSocketAddress local) {
    if (!opened) {
      info = new ConnectionInfo(info.id(), info.listener(), client, local);
      open();
    }
  }

  /** Who is connected (the reported addresses once {@link #open(InetSocketAddress, InetSocketAddress)} ran). */
  public ConnectionInfo info() {
    return info;
  }

  /** {@link System#nanoTime()} at accept. */
  public long startNanos() {
    return startNanos;
  }

  /** The connection is refused: nothing was forwarded. First outcome wins. */
  public void refuse(Reason reason, String host) {
    if (tag(Decision.REFUSED, Objects.requireNonNull(reason, "reason"))) {
      this.host = host;
    }
  }

  /** The connection failed (e.g. no_backend). Overrides a forwarding that never connected. */
  public void fail(Reason reason) {
    tag(Decision.ERROR, Objects.requireNonNull(reason, "reason"));
  }

  /**
   * As {@link #refuse(Reason, String)}, for the HTTP frontend's string constants only.
   *
   * @deprecated remove once the HTTP frontend passes {@link Reason}s
   */
  @Deprecated(forRemoval = true)
  void refuse(String reason, String host) {
    refuse(reasonNamed(reason), host);
  }

  /**
   * As {@link #fail(Reason)}, for the HTTP frontend's string constants only.
   *
   * @deprecated remove once the HTTP frontend passes {@link Reason}s
   */
  @Deprecated(forRemoval = true)
  void fail(String reason) {
    fail(reasonNamed(reason));
  }

  /**
   * As {@link #closeReason(Reason)}, for the HTTP frontend's string constants only.
   *
   * @deprecated remove once the HTTP frontend passes {@link Reason}s
   */
  @Deprecated(forRemoval = true)
  void closeReason(String reason) {
    closeReason(reasonNamed(reason));
  }

  /** The reason spelled {@code wireName}: only for the deprecated String overloads. */
  static Reason reasonNamed(String wireName) {
    for (Reason r : Reason.values()) {
      if (r.wireName().equals(wireName)) {
        return r;
      }
    }
    throw new IllegalArgumentException("no reason named " + wireName);
  }

  /** Sets the outcome if {@link Decision#yieldsTo} lets it replace the one so far. */
  private boolean tag(Decision next, Reason why) {
    if (decision != null && !decision.yieldsTo(next, endpoint != null)) {
      return false;
    }
    decision = next;
    reason = why;
    return true;
  }

  /** Bytes received from the client. */
  public void countIn(long bytes) {
    bytesIn += bytes;
  }

  /** Bytes sent to the client. */
  public void countOut(long bytes) {
    bytesOut += bytes;
  }

  /** The host named by the client (SNI or Host), for the record, when no decision carried it. */
  public void host(String host) {
    if (this.host == null) {
      this.host = host;
    }
  }

  void forwarding(RouteDecision.Forward forward) {
    Reason wouldRefuse = forward.wouldRefuseReason();
    if (tag(wouldRefuse != null ? Decision.WOULD_REFUSE : Decision.FORWARDED, wouldRefuse)) {
      host = forward.host() != null ? forward.host() : host;
      pool = forward.pool();
    }
  }

  /** HTTP listener: a request was answered with a redirect. */
  void redirected(String host) {
    tag(Decision.REDIRECTED, null);
    lastHost(host);
  }

  /** HTTP listener: every request names a host; the record shows the last one. */
  void lastHost(String host) {
    if (host != null) {
      this.host = host;
    }
  }

  void connectedTo(String endpoint) {
    this.endpoint = endpoint;
  }

  /**
   * Why a forwarded or redirected connection was cut (idle_timeout, revoked, drain,
   * pipeline_limit); the first reason wins.
   */
  void closeReason(Reason reason) {
    if (decision != null && decision.takesCloseReason() && this.reason == null) {
      this.reason = reason;
    }
  }

  RouterEvents events() {
    return events;
  }

  Decision decision() {
    return decision;
  }

  Reason reason() {
    return reason;
  }

  /**
   * Reports on the next turn of the loop: a handler that closes the channel and then tags the
   * reason in the same call stack (HAProxyMessageDecoder closes before it throws) is still seen.
   */
  private void reportLater() {
    try {
      channel.eventLoop().execute(this::report);
    } catch (RejectedExecutionException shuttingDown) {
      report();
    }
  }

  private void report() {
    if (reported) {
      return;
    }
    reported = true;
    open();
    // Closed before any outcome: the client went away.
    Decision finalDecision = decision != null ? decision : Decision.ERROR;
    Reason finalReason = decision != null ? reason : Reason.CLIENT_CLOSED;
    events.connectionClosed(
        new ConnectionRecord(
            info, host, finalDecision, finalReason, pool, endpoint, bytesIn, bytesOut,
            System.nanoTime() - startNanos));
  }

  private static InetSocketAddress inet(SocketAddress address) {
    if (address instanceof InetSocketAddress inet) {
      return inet;
    }
    // Local/embedded transports have no IP address; the record still needs one: 0.0.0.0:0.
    return new InetSocketAddress(0);
  }
}
