package dev.edgeproxy.sni;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;

/**
 * After a {@code 101 Switching Protocols} answering a WebSocket handshake the connection carries
 * another protocol: both sides become a raw relay. The one place where the HTTP path hands a
 * connection to the relay.
 */
final class HttpTunnel {

  /**
   * Replaces the HTTP handlers of both pipelines with the relay. Bytes either decoder still holds
   * are passed on as it is removed.
   *
   * @param frontend the client pipeline's HTTP handler, replaced by the relay
   * @param clientInputShut whether the client already sent its FIN
   */
  static void install(
      Channel client, Channel backend, ChannelHandler frontend, ConnectionTracker tracker, boolean clientInputShut) {
    Relay relay = new Relay(client, backend, tracker);
    // Encoders go first: the decoders pass on what they still hold as raw bytes when removed, and
    // an HTTP encoder would refuse those. The byte and budget counters go too: the relay counts.
    ChannelPipeline cp = client.pipeline();
    cp.remove(HttpFrontend.BYTES);
    cp.remove(HttpFrontend.BUDGET);
    cp.remove(HttpFrontend.ENCODER);
    cp.replace(frontend, PipelineNames.RELAY, new RelayHandler(relay, true));
    ChannelPipeline sp = backend.pipeline();
    sp.remove(HttpFrontend.BACKEND_BUDGET);
    sp.replace(HttpFrontend.BACKEND_HANDLER, PipelineNames.RELAY, new RelayHandler(relay, false));
    ((HttpClientCodec) sp.get(HttpFrontend.BACKEND_CODEC)).removeOutboundHandler();
    cp.remove(HttpFrontend.DECODER);
    sp.remove(HttpFrontend.BACKEND_CODEC);
    if (clientInputShut) {
      relay.inputShutdown(client);
    } else {
      client.config().setAutoRead(backend.isWritable());
    }
    backend.config().setAutoRead(client.isWritable());
    backend.flush();
  }

  private HttpTunnel() {}
}
