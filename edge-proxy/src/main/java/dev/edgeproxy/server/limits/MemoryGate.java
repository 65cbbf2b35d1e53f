package dev.edgeproxy.server.limits;

import dev.edgeproxy.sni.ConnectionIds;
import dev.edgeproxy.sni.ConnectionTracker;
import dev.edgeproxy.sni.MemoryBudget;
import dev.edgeproxy.sni.Reason;
import dev.edgeproxy.sni.RouterEvents;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;

/**
 * Admission by memory, before anything else sees an accepted connection: while the data path's
 * {@link MemoryBudget} is past its refusal threshold, new connections are closed at once (nothing
 * read, nothing allocated) and counted as refused with reason {@code memory_budget};
 * otherwise the listener's own gate takes over.
 */
@ChannelHandler.Sharable
public final class MemoryGate extends ChannelInitializer<Channel> {
  private final String listener;
  private final MemoryBudget budget;
  private final RouterEvents events;
  private final ChannelHandler next;

  public MemoryGate(String listener, MemoryBudget budget, RouterEvents events, ChannelHandler next) {
    this.listener = listener;
    this.budget = budget;
    this.events = events;
    this.next = next;
  }

  @Override
  protected void initChannel(Channel ch) {
    if (!budget.admitting()) {
      budget.refusedConnection();
      ConnectionTracker tracker = ConnectionTracker.accept(ch, ConnectionIds.next(), listener, events);
      tracker.refuse(Reason.MEMORY_BUDGET, null);
      ch.close();
      return;
    }
    ch.attr(MemoryBudget.KEY).set(budget);
    ch.pipeline().addLast(next);
  }
}
