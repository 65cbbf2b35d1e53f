package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * The user event {@link SniPeekHandler} fires when the resolver forwards: the decision and every
 * byte read so far, untouched, for the {@link UpstreamConnector} after it. It holds the bytes: a
 * pipeline without a connector releases them at its tail, as Netty does with unhandled events.
 */
final class HelloForwarded extends DefaultByteBufHolder {
  private final RouteDecision.Forward decision;

  HelloForwarded(RouteDecision.Forward decision, ByteBuf hello) {
    super(hello);
    this.decision = decision;
  }

  RouteDecision.Forward decision() {
    return decision;
  }
}
