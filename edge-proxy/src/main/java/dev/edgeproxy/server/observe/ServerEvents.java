package dev.edgeproxy.server.observe;

import dev.edgeproxy.sni.ConnectionHandle;
import dev.edgeproxy.sni.ConnectionInfo;
import dev.edgeproxy.sni.ConnectionRecord;
import dev.edgeproxy.sni.RouteRequest;
import dev.edgeproxy.sni.RouterEvents;
import dev.edgeproxy.sni.Upstream;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The router's events, fanned out to the access log and the metrics, and the registry of forwarded
 * connections (for closing revoked hosts and draining at shutdown). Called on event loops: every
 * step is a non-blocking map or queue operation.
 */
public final class ServerEvents implements RouterEvents {
  /** A forwarded connection that can still be closed on demand. */
  public record OpenConnection(String id, String host, String pool, ConnectionHandle handle) {}

  private final AccessLog accessLog;
  private final ProxyMetrics metrics;
  private final ConcurrentMap<String, OpenConnection> forwarded = new ConcurrentHashMap<>();

  public ServerEvents(AccessLog accessLog, ProxyMetrics metrics) {
    this.accessLog = accessLog;
    this.metrics = metrics;
  }

  @Override
  public void connectionOpened(ConnectionInfo connection) {
    metrics.opened(connection.listener());
  }

  public void listenerBound(String listener) {
    metrics.listenerBound(listener);
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
    metrics.closed(record);
    accessLog.record(record);
  }

  public Collection<OpenConnection> forwardedConnections() {
    return forwarded.values();
  }

  public long activeConnections() {
    return metrics.activeConnections();
  }
}
