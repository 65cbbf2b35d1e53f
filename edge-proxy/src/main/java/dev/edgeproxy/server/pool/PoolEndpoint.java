package dev.edgeproxy.server.pool;

import dev.edgeproxy.sni.Upstream;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backend endpoint of a pool ({@code host:port}). Its address is resolved off the event loop
 * (at start and by the health checker, since MagicDNS names can move), so connecting never waits on
 * DNS. Health is fed by active checks and by connect results of real traffic (passive ejection).
 *
 * <p>A name that stops resolving keeps its last address (a resolver outage must not take a working
 * backend away) and is reported as a {@link ResolveFailure} until it resolves again; a name that has
 * never resolved has no address, is never handed out and counts as unhealthy.
 */
public final class PoolEndpoint implements Upstream {
  private static final Logger log = LoggerFactory.getLogger(PoolEndpoint.class);

  private final String pool;
  private final String host;
  private final int port;
  private final String label;
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private final AtomicInteger consecutiveSuccesses = new AtomicInteger();
  private final int unhealthyAfter;
  private final int healthyAfter;
  private final NameLookup lookup;
  private final AtomicLong resolveFailures = new AtomicLong();
  private volatile InetSocketAddress address;
  private volatile ResolveFailure resolveFailure;
  private volatile boolean healthy = true;

  public PoolEndpoint(String pool, String host, int port, int unhealthyAfter, int healthyAfter) {
    this(pool, host, port, unhealthyAfter, healthyAfter, NameLookup.JDK);
  }

  PoolEndpoint(
      String pool, String host, int port, int unhealthyAfter, int healthyAfter, NameLookup lookup) {
    this.pool = pool;
    this.host = host;
    this.port = port;
    this.label = host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    this.unhealthyAfter = Math.max(1, unhealthyAfter);
    this.healthyAfter = Math.max(1, healthyAfter);
    this.lookup = lookup;
    // An IP literal is its own address: no resolver involved, ever.
    byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
    InetSocketAddress initial = InetSocketAddress.createUnresolved(host, port);
    if (literal != null) {
      try {
        initial = new InetSocketAddress(InetAddress.getByAddress(literal), port);
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("not an IP address: " + host, e);
      }
    }
    this.address = initial;
  }

  /**
   * Resolves the host name; blocking, so only called from start-up, reload or the health-check
   * thread. Logs a change of state (first failure, recovery, new address), not every attempt.
   */
  public synchronized void resolve() {
    InetAddress resolved;
    try {
      resolved = lookup.lookup(host);
    } catch (UnknownHostException | RuntimeException e) {
      resolveFailed(
          e instanceof UnknownHostException ? "name lookup failed: " + e.getMessage() : e.toString());
      return;
    }
    InetSocketAddress current = address;
    if (current.isUnresolved() || !resolved.equals(current.getAddress())) {
      if (!current.isUnresolved()) {
        log.info("pool {} endpoint {} now resolves to {}", pool, label, resolved.getHostAddress());
      }
      address = new InetSocketAddress(resolved, port);
    }
    ResolveFailure failed = resolveFailure;
    if (failed != null) {
      resolveFailure = null;
      log.info(
          "pool {} endpoint {} resolves again, to {}, after {} failed attempt(s) over {} s",
          pool,
          label,
          resolved.getHostAddress(),
          failed.attempts(),
          Duration.between(failed.since(), Instant.now()).toSeconds());
    }
  }

  private void resolveFailed(String error) {
    resolveFailures.incrementAndGet();
    ResolveFailure before = resolveFailure;
    if (before != null) {
      resolveFailure = before.next(error);
      log.debug("pool {} endpoint {}: still {}", pool, label, error);
      return;
    }
    resolveFailure = new ResolveFailure(error, Instant.now(), 1);
    InetSocketAddress current = address;
    if (current.isUnresolved()) {
      log.warn("pool {} endpoint {}: {}; out of rotation until it resolves", pool, label, error);
    } else {
      log.warn(
          "pool {} endpoint {}: {}; keeping its last address {} until it resolves again",
          pool,
          label,
          error,
          current.getAddress().getHostAddress());
    }
  }

  boolean unresolved() {
    return address.isUnresolved();
  }

  /** The configured host (a name or an IP literal). */
  public String host() {
    return host;
  }

  /** The IP connections go to, empty while the name has never resolved. */
  public Optional<String> resolvedAddress() {
    InetSocketAddress current = address;
    return current.isUnresolved()
        ? Optional.empty()
        : Optional.of(current.getAddress().getHostAddress());
  }

  /** Present while the last attempt to resolve the name failed. */
  public Optional<ResolveFailure> resolveFailure() {
    return Optional.ofNullable(resolveFailure);
  }

  /** Failed attempts to resolve the name since this endpoint was created (a counter). */
  public long resolveFailures() {
    return resolveFailures.get();
  }

  @Override
  public SocketAddress address() {
    return address;
  }

  @Override
  public String label() {
    return label;
  }

  public String pool() {
    return pool;
  }

  /** The health thresholds, for telling whether a reload changed this endpoint. */
  String thresholds() {
    return unhealthyAfter + "/" + healthyAfter;
  }

  /** False while checks fail, and while the name has never resolved (nothing to connect to). */
  public boolean healthy() {
    return healthy && !address.isUnresolved();
  }

  public int activeConnections() {
    return active.get();
  }

  @Override
  public void connected() {
    active.incrementAndGet();
    markSuccess();
  }

  @Override
  public void connectFailed(Throwable cause) {
    markFailure(cause.toString());
  }

  @Override
  public void released() {
    active.decrementAndGet();
  }

  /** A successful health check or connect. */
  public void markSuccess() {
    consecutiveFailures.set(0);
    if (!healthy && consecutiveSuccesses.incrementAndGet() >= healthyAfter) {
      healthy = true;
      consecutiveSuccesses.set(0);
      log.info("pool {} endpoint {} is healthy again", pool, label);
    }
  }

  /** A failed health check or connect; enough of them in a row eject the endpoint. */
  public void markFailure(String why) {
    consecutiveSuccesses.set(0);
    if (healthy && consecutiveFailures.incrementAndGet() >= unhealthyAfter) {
      healthy = false;
      log.warn("pool {} endpoint {} is unhealthy: {}", pool, label, why);
    }
  }

  @Override
  public String toString() {
    return label;
  }
}
