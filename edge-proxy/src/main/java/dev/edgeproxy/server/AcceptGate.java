package dev.edgeproxy.server;

import dev.edgeproxy.sni.ConnectionIds;
import dev.edgeproxy.sni.ConnectionTracker;
import dev.edgeproxy.sni.RouterEvents;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * First handler of every accepted connection on a proxy listener: enforces the connection limits
 * (refused connections are closed at once, logged with reason {@code limit}) and then installs the
 * listener's current data path. Taking the data path from a supplier lets a reload change listener
 * settings for new connections while open ones keep theirs.
 *
 * <p>When a load balancer in front sends PROXY headers, the socket's address is the balancer's, so
 * the per-address limit is left to the resolver, which sees the reported client address.
 */
@ChannelHandler.Sharable
final class AcceptGate extends ChannelInitializer<Channel> {
  private final String listener;
  private final ConnectionLimits limits;
  private final boolean perIpAtAccept;
  private final RouterEvents events;
  private final Supplier<ChannelInitializer<Channel>> dataPath;

  AcceptGate(
      String listener,
      ConnectionLimits limits,
      boolean perIpAtAccept,
      RouterEvents events,
      Supplier<ChannelInitializer<Channel>> dataPath) {
    this.listener = listener;
    this.limits = limits;
    this.perIpAtAccept = perIpAtAccept;
    this.events = events;
    this.dataPath = dataPath;
  }

  @Override
  protected void initChannel(Channel ch) {
    InetAddress client =
        perIpAtAccept && ch.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
    if (!limits.tryAcquire(client)) {
      ConnectionTracker tracker = ConnectionTracker.accept(ch, ConnectionIds.next(), listener, events);
      tracker.refuse("limit", null);
      ch.close();
      return;
    }
    ch.closeFuture().addListener(f -> limits.release(client));
    ch.pipeline().addLast(dataPath.get());
  }
}
