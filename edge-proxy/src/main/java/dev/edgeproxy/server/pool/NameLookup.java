package dev.edgeproxy.server.pool;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * How an endpoint's host name becomes an address: the JDK resolver in production (its cache obeys
 * {@code networkaddress.cache.ttl}), a scripted one in tests. Blocking: never called on an event loop.
 */
@FunctionalInterface
interface NameLookup {
  NameLookup JDK = InetAddress::getByName;

  InetAddress lookup(String host) throws UnknownHostException;
}
