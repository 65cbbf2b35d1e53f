package dev.edgeproxy.sni;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Stands in for {@link CandidateDialer} in channel tests: every forward "connects" at once to a
 * fresh {@link EmbeddedChannel}, so the real connector and relay run and what the backend would
 * receive can be read back.
 */
final class EmbeddedBackends implements Dialer {
  final List<RouteDecision.Forward> decisions = new ArrayList<>();
  final List<EmbeddedChannel> backends = new ArrayList<>();

  @Override
  public Runnable dial(
      Channel inbound,
      ConnectionTracker tracker,
      RouteDecision.Forward decision,
      Consumer<Channel> connected,
      Runnable failed) {
    decisions.add(decision);
    EmbeddedChannel backend = new EmbeddedChannel();
    backend.config().setAutoRead(false); // as the real dialer hands it over
    backends.add(backend);
    tracker.connectedTo("backend-" + backends.size());
    connected.accept(backend);
    return () -> {};
  }

  /** Every byte the {@code n}-th backend received so far. */
  byte[] received(int n) {
    EmbeddedChannel backend = backends.get(n);
    backend.runPendingTasks();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Object o; (o = backend.readOutbound()) != null; ) {
      ByteBuf bytes = (ByteBuf) o;
      out.writeBytes(ByteBufUtil.getBytes(bytes));
      bytes.release();
    }
    return out.toByteArray();
  }

  void releaseAll() {
    backends.forEach(EmbeddedChannel::finishAndReleaseAll);
  }
}
