package dev.edgeproxy.sni;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The child channel initializer both listeners share: one per listener, it checks its arguments
 * once and builds each accepted connection's pipeline with the listener's own {@link Pipeline}, a
 * fresh connection id and the production dialer.
 */
final class FrontendInitializer {
  /** Builds one accepted connection's pipeline (a listener's {@code init}). */
  @FunctionalInterface
  interface Pipeline<S> {
    void init(
        Channel ch,
        S settings,
        RouteResolver resolver,
        ClientLimit clientLimit,
        RouterEvents events,
        String connectionId,
        Dialer dialer);
  }

  static <S> ChannelInitializer<Channel> of(
      Pipeline<S> pipeline,
      S settings,
      RouteResolver resolver,
      ClientLimit clientLimit,
      RouterEvents events,
      Supplier<String> connectionIds) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(resolver, "resolver");
    Objects.requireNonNull(clientLimit, "clientLimit");
    Objects.requireNonNull(events, "events");
    Objects.requireNonNull(connectionIds, "connectionIds");
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel ch) {
        pipeline.init(
            ch, settings, resolver, clientLimit, events, connectionIds.get(), CandidateDialer.INSTANCE);
      }
    };
  }

  private FrontendInitializer() {}
}
