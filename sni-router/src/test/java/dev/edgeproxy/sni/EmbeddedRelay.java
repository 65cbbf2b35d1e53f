package dev.edgeproxy.sni;

import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.List;

/**
 * A forwarded connection's relay between two embedded channels, as {@code UpstreamConnector}
 * installs it: the handlers in place, the connection open and forwarding; time is the client
 * channel's (the relay's timer runs on its loop).
 */
final class EmbeddedRelay implements AutoCloseable {
  final RecordingEvents events = new RecordingEvents();
  final EmbeddedChannel client = new EmbeddedChannel();
  final EmbeddedChannel backend = new EmbeddedChannel();
  final Relay relay;

  EmbeddedRelay() {
    ConnectionTracker tracker = ConnectionTracker.accept(client, "id", "tls", events);
    tracker.open();
    tracker.forwarding(
        new RouteDecision.Forward(
            "pool", List.of(), Duration.ofSeconds(1), ProxyHeaderSpec.NONE, "a.example.com", null));
    relay = new Relay(client, backend, tracker);
    client.pipeline().addLast(new RelayHandler(relay, true));
    backend.pipeline().addLast(new RelayHandler(relay, false));
  }

  /** Releases whatever either channel still holds. */
  @Override
  public void close() {
    client.finishAndReleaseAll();
    backend.finishAndReleaseAll();
  }
}
