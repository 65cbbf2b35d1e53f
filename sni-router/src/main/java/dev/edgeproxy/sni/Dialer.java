package dev.edgeproxy.sni;

import io.netty.channel.Channel;
import java.util.function.Consumer;

/**
 * Opens a client's backend connection, for the TLS and the HTTP path alike (production: {@link
 * CandidateDialer}; tests pass their own).
 */
@FunctionalInterface
interface Dialer {
  /**
   * Connects to the decision's candidates on the client's event loop and writes the PROXY header,
   * then calls {@code connected} with the channel (AUTO_READ off, empty pipeline) or {@code failed}
   * when every candidate failed; neither after the returned canceller ran.
   */
  Runnable dial(
      Channel inbound,
      ConnectionTracker tracker,
      RouteDecision.Forward decision,
      Consumer<Channel> connected,
      Runnable failed);
}
