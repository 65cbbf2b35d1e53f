package dev.edgeproxy.sni;

import java.net.InetAddress;

/**
 * The per-client connection limit ({@code limits.maxConnectionsPerIp}), asked once per connection
 * with the real client address: the socket's, or the one a trusted load balancer's PROXY header
 * reported. Called on event loops, so an implementation must not block.
 */
public interface ClientLimit {
  /** No per-client limit (a listener fixture, or a deployment that wants none). */
  ClientLimit UNLIMITED =
      new ClientLimit() {
        @Override
        public boolean tryAcquire(InetAddress client) {
          return true;
        }

        @Override
        public void release(InetAddress client) {}
      };

  /** Takes a slot for {@code client}, or returns false (and takes nothing) when it has its share. */
  boolean tryAcquire(InetAddress client);

  /** Gives back a slot that {@link #tryAcquire} took. */
  void release(InetAddress client);
}
