package dev.edgeproxy.server;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code limits.maxConnections} and {@code limits.maxConnectionsPerIp}, shared by every listener.
 * Counts are taken at accept and given back when the channel closes; a per-address entry is
 * removed when it drops to zero, so the map holds only addresses that are connected now.
 */
final class ConnectionLimits {
  private final int maxConnections;
  private final int maxPerIp;
  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentMap<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();

  ConnectionLimits(int maxConnections, int maxPerIp) {
    this.maxConnections = maxConnections;
    this.maxPerIp = maxPerIp;
  }

  /** Takes a slot for {@code client}, or returns false (and takes nothing) when over a limit. */
  boolean tryAcquire(InetAddress client) {
    if (total.incrementAndGet() > maxConnections) {
      total.decrementAndGet();
      return false;
    }
    if (client == null) {
      return true;
    }
    AtomicInteger count = perIp.computeIfAbsent(client, a -> new AtomicInteger());
    if (count.incrementAndGet() > maxPerIp) {
      release(client);
      return false;
    }
    return true;
  }

  void release(InetAddress client) {
    total.decrementAndGet();
    if (client == null) {
      return;
    }
    perIp.computeIfPresent(client, (a, count) -> count.decrementAndGet() <= 0 ? null : count);
  }

  /** Connections from {@code client} counted now. */
  int count(InetAddress client) {
    AtomicInteger c = perIp.get(client);
    return c == null ? 0 : c.get();
  }

  int total() {
    return total.get();
  }
}
