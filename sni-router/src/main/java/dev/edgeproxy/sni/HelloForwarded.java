package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * The user event {@link SniPeekHandler} fires when the resolver forwards: the decision and every
 * byte read so far, untouched, for the {@link UpstreamConnector} after it. It holds the bytes: a
 * pipeline without a connector releases them at its tail, as Netty does with unhandled events.
 *
 * <p>It also carries the bytes' reservation in the channel's {@link MemoryBudget}, so that they
 * stay counted without a gap: the connector takes it over with the bytes, and the peek gives back
 * what nobody took once the event has passed (it is fired and handled in one call on the loop).
 */
final class HelloForwarded extends DefaultByteBufHolder {
  private final RouteDecision.Forward decision;
  private long reserved;

  HelloForwarded(RouteDecision.Forward decision, ByteBuf hello, long reserved) {
    super(hello);
    this.decision = decision;
    this.reserved = reserved;
  }

  RouteDecision.Forward decision() {
    return decision;
  }

  /** The budget bytes reserved for the hello, now the caller's to release; 0 once taken. */
  long takeReservation() {
    long taken = reserved;
    reserved = 0;
    return taken;
  }
}
