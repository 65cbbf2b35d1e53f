package dev.edgeproxy.server.pool;

import dev.edgeproxy.sni.Upstream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backend endpoint of a pool ({@code host:port}). Its address is resolved off the event loop
 * (at start and by the health checker, since MagicDNS names can move), so connecting never waits on
 * DNS. Health is fed by active checks and by connect results of real traffic (passive ejection).
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
  private volatile InetSocketAddress address;
  private volatile boolean healthy = true;

  public PoolEndpoint(String pool, String host, int port, int unhealthyAfter, int healthyAfter) {
    this.pool = pool;
    this.host = host;
    this.port = port;
    this.label = host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    this.unhealthyAfter = Math.max(1, unhealthyAfter);
    this.healthyAfter = Math.max(1, healthyAfter);
    this.address = InetSocketAddress.createUnresolved(host, port);
  }

  /** Resolves the host name; blocking, so only called from start-up or the health-check thread. */
  public void resolve() {
    try {
      InetAddress resolved = InetAddress.getByName(host);
      InetSocketAddress current = address;
      if (current.isUnresolved() || !resolved.equals(current.getAddress())) {
        if (!current.isUnresolved()) {
          log.info("pool {} endpoint {} now resolves to {}", pool, label, resolved.getHostAddress());
        }
        address = new InetSocketAddress(resolved, port);
      }
    } catch (UnknownHostException e) {
      log.warn("pool {} endpoint {}: cannot resolve: {}", pool, label, e.getMessage());
    }
  }

  boolean unresolved() {
    return address.isUnresolved();
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

  public boolean healthy() {
    return healthy;
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
