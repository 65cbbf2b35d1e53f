package dev.edgeproxy.sni;

/**
 * Decides what happens to a connection once its first bytes are understood (a complete
 * ClientHello on the TLS listener, a request head on the HTTP listener). Implemented outside the
 * router (over the allow-list snapshot), so the router never knows where the allow-list comes from.
 *
 * <p>Called on the connection's event loop: it must answer from memory and never block.
 */
@FunctionalInterface
public interface RouteResolver {
  RouteDecision resolve(RouteRequest request);
}
