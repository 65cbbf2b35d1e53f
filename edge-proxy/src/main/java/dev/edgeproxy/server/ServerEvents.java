package dev.edgeproxy.server;

import dev.edgeproxy.sni.ConnectionHandle;
import dev.edgeproxy.sni.ConnectionInfo;
import dev.edgeproxy.sni.ConnectionRecord;
import dev.edgeproxy.sni.RouteRequest;
import dev.edgeproxy.sni.RouterEvents;
import dev.edgeproxy.sni.Upstream;
import java.net.InetAddress;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The router's events, fanned out to the access log and the metrics, and the registry of forwarded
 * connections (for closing revoked hosts and draining at shutdown). Called on event loops: every
 * step is a non-blocking map or queue operation.
 */
final class ServerEvents implements RouterEvents {
  /** A forwarded connection that can still be closed on demand. */
  record OpenConnection(String id, String host, String pool, ConnectionHandle handle) {}

  private final AccessLog accessLog;
  private final ProxyMetrics metrics;
  private final ConcurrentMap<String, OpenConnection> forwarded = new ConcurrentHashMap<>();
  // Per-address counting of the client addresses a load balancer in front reported (PROXY
  // listeners); the socket address there is the balancer's and is not limited per address.
  private final ConnectionLimits reportedClients;
  private final Set<String> reportedListeners;
  private final ConcurrentMap<String, InetAddress> countedReported = new ConcurrentHashMap<>();
  private final Set<String> overLimit = ConcurrentHashMap.newKeySet();

  ServerEvents(
      AccessLog accessLog, ProxyMetrics metrics, int maxPerReportedIp, Set<String> proxyListeners) {
    this.accessLog = accessLog;
    this.metrics = metrics;
    this.reportedClients = new ConnectionLimits(Integer.MAX_VALUE, maxPerReportedIp);
    this.reportedListeners = Set.copyOf(proxyListeners);
  }

  @Override
  public void connectionOpened(ConnectionInfo connection) {
    metrics.opened(connection.listener());
    if (reportedListeners.contains(connection.listener())) {
      InetAddress client = connection.client().getAddress();
      if (reportedClients.tryAcquire(client)) {
        countedReported.put(connection.id(), client);
      } else {
        overLimit.add(connection.id());
      }
    }
  }

  void listenerBound(String listener) {
    metrics.listenerBound(listener);
  }

  /** Whether a connection's reported client address already has too many connections. */
  boolean overPerIpLimit(ConnectionInfo connection) {
    return overLimit.contains(connection.id());
  }

  @Override
  public void clientHelloParsed(ConnectionInfo connection, RouteRequest request, long nanos) {
    metrics.clientHello(nanos, request.encryptedClientHello());
  }

  @Override
  public void backendConnected(
      ConnectionInfo connection, String pool, Upstream upstream, long nanos) {
    metrics.backendConnected(pool, nanos);
  }

  @Override
  public void connectionForwarded(
      ConnectionInfo connection, String host, String pool, ConnectionHandle handle) {
    forwarded.put(connection.id(), new OpenConnection(connection.id(), host, pool, handle));
  }

  @Override
  public void connectionClosed(ConnectionRecord record) {
    String id = record.connection().id();
    forwarded.remove(id);
    overLimit.remove(id);
    InetAddress counted = countedReported.remove(id);
    if (counted != null) {
      reportedClients.release(counted);
    }
    metrics.closed(record);
    accessLog.record(record);
  }

  Collection<OpenConnection> forwardedConnections() {
    return forwarded.values();
  }

  long activeConnections() {
    return metrics.activeConnections();
  }
}
