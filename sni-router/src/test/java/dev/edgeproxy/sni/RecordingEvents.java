package dev.edgeproxy.sni;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** RouterEvents that remember everything, thread-safe, for assertions. */
final class RecordingEvents implements RouterEvents {
  final List<ConnectionInfo> opened = new CopyOnWriteArrayList<>();
  final List<RouteRequest> parsed = new CopyOnWriteArrayList<>();
  final List<String> connected = new CopyOnWriteArrayList<>();
  final List<String> connectFailed = new CopyOnWriteArrayList<>();
  final BlockingQueue<ConnectionHandle> forwarded = new LinkedBlockingQueue<>();
  final BlockingQueue<ConnectionRecord> closed = new LinkedBlockingQueue<>();

  @Override
  public void connectionOpened(ConnectionInfo connection) {
    opened.add(connection);
  }

  @Override
  public void clientHelloParsed(ConnectionInfo connection, RouteRequest request, long nanos) {
    parsed.add(request);
  }

  @Override
  public void backendConnected(ConnectionInfo connection, String pool, Upstream upstream, long nanos) {
    connected.add(upstream.label());
  }

  @Override
  public void backendConnectFailed(ConnectionInfo connection, String pool, Upstream upstream, Throwable cause) {
    connectFailed.add(upstream.label());
  }

  @Override
  public void connectionForwarded(ConnectionInfo connection, String host, String pool, ConnectionHandle handle) {
    forwarded.add(handle);
  }

  @Override
  public void connectionClosed(ConnectionRecord record) {
    closed.add(record);
  }

  ConnectionRecord awaitClosed() throws InterruptedException {
    ConnectionRecord record = closed.poll(10, TimeUnit.SECONDS);
    if (record == null) {
      throw new AssertionError("no connectionClosed within 10 s");
    }
    return record;
  }

  /** The record of an embedded channel that has closed: its report runs with its pending tasks. */
  ConnectionRecord closedOn(EmbeddedChannel channel) {
    channel.runPendingTasks();
    ConnectionRecord record = closed.poll();
    if (record == null) {
      throw new AssertionError("no connectionClosed for " + channel);
    }
    return record;
  }
}
