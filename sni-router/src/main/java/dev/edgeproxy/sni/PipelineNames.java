package dev.edgeproxy.sni;

/** Every handler name the router puts in a pipeline, so tests and the wiring can find them. */
public final class PipelineNames {
  /** Netty's {@code HAProxyMessageDecoder} for an incoming PROXY header (acceptProxyProtocol). */
  public static final String PROXY_DECODER = "proxyDecoder";
  /** Turns the decoded incoming PROXY header into the connection's addresses. */
  public static final String PROXY_INFO = "proxyInfo";
  /** Applies the per-client limit to the real client address, then removes itself. */
  public static final String CLIENT_LIMIT = "clientLimit";
  /** Peeks the ClientHello and asks the resolver; removes itself. */
  public static final String SNI_PEEK = "sniPeek";
  /** Connects to the backend candidates while holding the client's bytes; replaced by the relay. */
  public static final String UPSTREAM_CONNECT = "upstreamConnect";
  /** Idle timeout of a forwarded connection (inbound side, both directions). */
  public static final String IDLE = "idle";
  /** Relays bytes to the other channel (present on both channels). */
  public static final String RELAY = "relay";

  private PipelineNames() {}
}
