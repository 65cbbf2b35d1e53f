package dev.edgeproxy.server.warmup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.sni.ConnectionInfo;
import dev.edgeproxy.sni.Reason;
import dev.edgeproxy.sni.RouteDecision;
import dev.edgeproxy.sni.RouteRequest;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WarmUpRoutesTest {
  private static final InetSocketAddress SINK = new InetSocketAddress("127.0.0.1", 40_000);
  private final List<String> askedPublic = new ArrayList<>();
  private final WarmUpRoutes routes =
      new WarmUpRoutes(
          request -> {
            askedPublic.add(request.serverName());
            return new RouteDecision.Refuse(Reason.NOT_ALLOWED, request.serverName(), true);
          },
          SINK);

  @Test
  void theReservedNameGoesToTheSinkOnlyWithAProxyHeader() {
    RouteDecision decision = routes.resolve(request(WarmUpRoutes.RESERVED_NAME));

    assertThat(decision).isInstanceOf(RouteDecision.Forward.class);
    RouteDecision.Forward forward = (RouteDecision.Forward) decision;
    assertThat(forward.pool()).isEqualTo(WarmUpRoutes.POOL);
    assertThat(forward.candidates()).singleElement().satisfies(u -> assertThat(u.address()).isEqualTo(SINK));
    assertThat(forward.proxyHeader().version()).isEqualTo(dev.edgeproxy.sni.ProxyHeaderSpec.Version.V2);
    assertThat(forward.wouldRefuseReason()).isNull();
  }

  @Test
  void everyOtherNameIsRefusedEvenWhenThePublicRoutingWouldForwardIt() {
    WarmUpRoutes forwardingPublic =
        new WarmUpRoutes(
            request -> new RouteDecision.Forward("users", List.of(), java.time.Duration.ofSeconds(1),
                dev.edgeproxy.sni.ProxyHeaderSpec.NONE, request.serverName(), null),
            SINK);

    for (String name : new String[] {"www.example.test", "WARM-UP.edge-proxy.invalid", "x.warm-up.edge-proxy.invalid", null}) {
      RouteDecision decision = forwardingPublic.resolve(request(name));
      assertThat(decision).as(String.valueOf(name)).isInstanceOf(RouteDecision.Refuse.class);
      assertThat(((RouteDecision.Refuse) decision).why()).isEqualTo(Reason.NOT_ALLOWED);
    }
  }

  @Test
  void thePublicRoutingIsAskedTooSoItsCodeIsWarmedAndItsAnswerIgnored() {
    routes.resolve(request(WarmUpRoutes.RESERVED_NAME));
    routes.resolve(request("other.example.test"));

    assertThat(askedPublic).containsExactly(WarmUpRoutes.RESERVED_NAME, "other.example.test");
  }

  private static RouteRequest request(String name) {
    ConnectionInfo connection =
        new ConnectionInfo("c1", WarmUpListener.NAME, new InetSocketAddress("127.0.0.1", 50_000),
            new InetSocketAddress("127.0.0.1", 443));
    return new RouteRequest(connection, name, List.of(), false);
  }
}
