package dev.edgeproxy.server.limits;

import dev.edgeproxy.config.Cidr;
import dev.edgeproxy.sni.ClientLimit;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code limits.maxConnections} (taken at accept by {@link AcceptGate}) and {@code
 * limits.maxConnectionsPerIp} (taken by the data path's client-limit handler once the real client
 * address is known), shared by every listener. An IPv6 client is counted per network of {@code
 * limits.ipv6PrefixLength} bits, since one subscriber usually holds a whole /64 and could otherwise
 * walk around the limit address by address.
 *
 * <p>Each per-client count is read, changed and dropped at zero inside one {@code compute} of the
 * map, so a connection arriving while the last one of its client leaves can neither be lost nor
 * count on an entry that was just removed.
 */
public final class ConnectionLimits implements ClientLimit {
  private final int maxConnections;
  private final int maxPerClient;
  private final int ipv6PrefixLength;
  private final AtomicInteger total = new AtomicInteger();
  private final ConcurrentMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();

  public ConnectionLimits(int maxConnections, int maxPerClient, int ipv6PrefixLength) {
    this.maxConnections = maxConnections;
    this.maxPerClient = maxPerClient;
    this.ipv6PrefixLength = ipv6PrefixLength;
  }

  /** Takes one of the node's connection slots, or returns false (taking nothing) when all are used. */
  boolean tryAcquireConnection() {
    if (total.incrementAndGet() > maxConnections) {
      total.decrementAndGet();
      return false;
    }
    return true;
  }

  void releaseConnection() {
    total.decrementAndGet();
  }

  @Override
  public boolean tryAcquire(InetAddress client) {
    boolean[] taken = {false};
    perClient.compute(
        key(client),
        (k, held) -> {
          int n = held == null ? 0 : held;
          if (n >= maxPerClient) {
            return held;
          }
          taken[0] = true;
          return n + 1;
        });
    return taken[0];
  }

  @Override
  public void release(InetAddress client) {
    perClient.computeIfPresent(key(client), (k, held) -> held <= 1 ? null : held - 1);
  }

  /** Connections counted now for {@code client}'s key (its IPv6 network, or its IPv4 address). */
  int count(InetAddress client) {
    return perClient.getOrDefault(key(client), 0);
  }

  /** Client keys with at least one connection: the map holds nothing else. */
  int clientsCounted() {
    return perClient.size();
  }

  int total() {
    return total.get();
  }

  private InetAddress key(InetAddress client) {
    return client instanceof Inet6Address && ipv6PrefixLength < 128
        ? new Cidr(client, ipv6PrefixLength).network()
        : client;
  }
}
