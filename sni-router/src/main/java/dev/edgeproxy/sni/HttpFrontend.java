package dev.edgeproxy.sni;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The plain-HTTP listener's data path, for a server's child channels: each request head is decoded
 * (bounded size and time), its Host checked with the {@link RouteResolver}, and the request either
 * refused ({@code 421}), redirected to https ({@code 308}, redirect mode) or relayed to the pool's
 * http endpoints with a PROXY header.
 *
 * <pre>{@code
 * ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(serverChannelClass);
 * HttpFrontend.applyChildOptions(b);
 * b.childHandler(HttpFrontend.initializer(settings, resolver, clientLimit, events, ConnectionIds::next));
 * }</pre>
 *
 * <p>Client pipeline: {@link PipelineNames#CLIENT_LIMIT} (removed once admitted), {@value #BYTES}
 * (raw byte counts), {@value #BUDGET}, {@value #DECODER}, {@value #ENCODER}, {@link
 * PipelineNames#IDLE}, {@value #FRONTEND}. Backend pipeline: {@value #BACKEND_BUDGET}, {@value
 * #BACKEND_CODEC}, {@value #BACKEND_HANDLER}. After a {@code 101} both become {@link
 * PipelineNames#RELAY}.
 */
public final class HttpFrontend {
  /** Counts the client's raw bytes for the access log. */
  public static final String BYTES = "httpBytes";
  /** Counts what the client has not taken yet in the data path's {@link MemoryBudget}. */
  public static final String BUDGET = "httpBudget";
  /** Netty's request decoder, bounded by {@link HttpFrontendSettings#maxHeaderBytes()}. */
  public static final String DECODER = "httpDecoder";
  /** Encodes responses (ours and the backend's) to the client. */
  public static final String ENCODER = "httpEncoder";
  /** The per-request Host check and exchange state machine. */
  public static final String FRONTEND = "httpFrontend";
  /** Netty's client codec on the backend channel. */
  public static final String BACKEND_CODEC = "httpBackendCodec";
  /** Counts what the backend has not taken yet in the data path's {@link MemoryBudget}. */
  public static final String BACKEND_BUDGET = "httpBackendBudget";
  /** Hands backend responses to the frontend. */
  public static final String BACKEND_HANDLER = "httpBackend";

  /**
   * The child channel initializer; one per listener, shared by its connections.
   *
   * @param connectionIds supplies a fresh connection id per accepted connection
   */
  public static ChannelInitializer<Channel> initializer(
      HttpFrontendSettings settings,
      RouteResolver resolver,
      ClientLimit clientLimit,
      RouterEvents events,
      Supplier<String> connectionIds) {
    return FrontendInitializer.of(
        HttpFrontend::init, settings, resolver, clientLimit, events, connectionIds);
  }

  /**
   * The child options the HTTP path expects: reads on, no Nagle delay, and half-closure so that a
   * client that sends its request and then its FIN still gets the answer.
   */
  public static void applyChildOptions(ServerBootstrap bootstrap) {
    TlsFrontend.applyChildOptions(bootstrap); // the same three options
  }

  static void init(
      Channel ch,
      HttpFrontendSettings settings,
      RouteResolver resolver,
      ClientLimit clientLimit,
      RouterEvents events,
      String connectionId,
      Dialer dialer) {
    ConnectionTracker tracker = ConnectionTracker.accept(ch, connectionId, settings.listenerName(), events);
    tracker.open();
    ch.pipeline().addLast(PipelineNames.CLIENT_LIMIT, new ClientLimitHandler(clientLimit, tracker, false));
    if (!ch.isOpen()) {
      return; // over the per-client limit: closed unread
    }
    HttpDecoderConfig decoderConfig =
        new HttpDecoderConfig()
            .setMaxInitialLineLength(settings.maxHeaderBytes())
            .setMaxHeaderSize(settings.maxHeaderBytes())
            .setStrictLineParsing(true);
    HttpByteCounter counter = new HttpByteCounter(tracker);
    HttpFrontendEncoder encoder = new HttpFrontendEncoder();
    HttpFrontendHandler frontend = new HttpFrontendHandler(settings, resolver, tracker, dialer, counter, encoder, ch);
    ChannelPipeline p = ch.pipeline();
    p.addLast(BYTES, counter);
    p.addLast(BUDGET, frontend.memory().writeCounter());
    p.addLast(DECODER, new HttpRequestDecoder(decoderConfig));
    p.addLast(ENCODER, encoder);
    p.addLast(
        PipelineNames.IDLE,
        // observeOutput: a response still being written out (a slow download) is not idle
        new IdleStateHandler(true, 0, 0, settings.idleTimeout().toNanos(), TimeUnit.NANOSECONDS));
    p.addLast(FRONTEND, frontend);
  }

  private HttpFrontend() {}
}
