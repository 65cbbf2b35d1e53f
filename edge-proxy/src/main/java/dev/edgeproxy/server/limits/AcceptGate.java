package dev.edgeproxy.server.limits;

import dev.edgeproxy.sni.ConnectionIds;
import dev.edgeproxy.sni.ConnectionTracker;
import dev.edgeproxy.sni.Reason;
import dev.edgeproxy.sni.RouterEvents;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import java.util.function.Supplier;

/**
 * First handler of every accepted connection on a proxy listener: enforces the node's total
 * connection limit (refused connections are closed at once, logged with reason {@code limit}) and
 * then installs the listener's current data path. Taking the data path from a supplier lets a
 * reload change listener settings (PROXY acceptance and its trusted peers included) for new
 * connections while open ones keep theirs.
 *
 * <p>The per-client limit is not taken here: the data path applies it once it knows the real client
 * address, which behind a load balancer is the one its PROXY header reports.
 */
@ChannelHandler.Sharable
public final class AcceptGate extends ChannelInitializer<Channel> {
  private final String listener;
  private final ConnectionLimits limits;
  private final RouterEvents events;
  private final Supplier<ChannelInitializer<Channel>> dataPath;

  public AcceptGate(
      String listener,
      ConnectionLimits limits,
      RouterEvents events,
      Supplier<ChannelInitializer<Channel>> dataPath) {
    this.listener = listener;
    this.limits = limits;
    this.events = events;
    this.dataPath = dataPath;
  }

  @Override
  protected void initChannel(Channel ch) {
    if (!limits.tryAcquireConnection()) {
      ConnectionTracker tracker = ConnectionTracker.accept(ch, ConnectionIds.next(), listener, events);
      tracker.refuse(Reason.LIMIT, null);
      ch.close();
      return;
    }
    ch.closeFuture().addListener(f -> limits.releaseConnection());
    ch.pipeline().addLast(dataPath.get());
  }
}
