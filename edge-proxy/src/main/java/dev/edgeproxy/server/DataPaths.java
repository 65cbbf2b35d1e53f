package dev.edgeproxy.server;

import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.config.Cidr;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.config.HttpListenerConfig;
import dev.edgeproxy.config.TlsListenerConfig;
import dev.edgeproxy.server.limits.ConnectionLimits;
import dev.edgeproxy.server.observe.ServerEvents;
import dev.edgeproxy.server.pool.Routing;
import dev.edgeproxy.server.routing.AllowListRouteResolver;
import dev.edgeproxy.sni.ConnectionIds;
import dev.edgeproxy.sni.HttpFrontend;
import dev.edgeproxy.sni.HttpFrontendSettings;
import dev.edgeproxy.sni.TlsFrontend;
import dev.edgeproxy.sni.TlsFrontendSettings;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import java.net.InetAddress;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Builds the data path of the public listeners from a configuration: the sni-router frontends with
 * their settings, routed by the allow-list over the current pools. Called at start and by every
 * reload, so the data path of new connections always follows the configuration in force.
 */
final class DataPaths {
  private final ConnectionLimits limits;
  private final ServerEvents events;
  private final Supplier<Routing> routing;
  private final Supplier<AllowListSnapshot> allowList;

  DataPaths(
      ConnectionLimits limits,
      ServerEvents events,
      Supplier<Routing> routing,
      Supplier<AllowListSnapshot> allowList) {
    this.limits = limits;
    this.events = events;
    this.routing = routing;
    this.allowList = allowList;
  }

  /** Port 443: peek the ClientHello, check the name, forward with a PROXY header. */
  ChannelInitializer<Channel> tls(EdgeProxyConfig c, TlsListenerConfig tls) {
    TlsFrontendSettings settings =
        new TlsFrontendSettings(
            "tls",
            tls.acceptProxyProtocol(),
            trusted(tls.proxyProtocolFrom()),
            tls.clientHelloTimeout(),
            tls.maxClientHelloBytes(),
            c.limits().idleTimeout(),
            c.limits().halfClosedTimeout());
    return TlsFrontend.initializer(
        settings, resolver(AllowListRouteResolver.Listener.TLS), limits, events, ConnectionIds::next);
  }

  /** Port 80: Host checked on every request, then forward or redirect. */
  ChannelInitializer<Channel> http(EdgeProxyConfig c, HttpListenerConfig http) {
    HttpFrontendSettings settings =
        new HttpFrontendSettings(
            "http",
            http.mode() == HttpListenerConfig.HttpMode.REDIRECT
                ? HttpFrontendSettings.Mode.REDIRECT
                : HttpFrontendSettings.Mode.FORWARD,
            http.maxHeaderBytes(),
            http.headerTimeout(),
            c.limits().idleTimeout());
    return HttpFrontend.initializer(
        settings, resolver(AllowListRouteResolver.Listener.HTTP), limits, events, ConnectionIds::next);
  }

  private AllowListRouteResolver resolver(AllowListRouteResolver.Listener listener) {
    return new AllowListRouteResolver(listener, routing, allowList);
  }

  /** Whether a peer may send a PROXY header: its address is in one of the configured networks. */
  private static Predicate<InetAddress> trusted(List<Cidr> networks) {
    return peer -> networks.stream().anyMatch(n -> n.contains(peer));
  }
}
