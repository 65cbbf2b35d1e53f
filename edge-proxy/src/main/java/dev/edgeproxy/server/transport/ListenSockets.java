package dev.edgeproxy.server.transport;

import dev.edgeproxy.config.BindAddress;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.IntegerUnixChannelOption;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Opens listening sockets with nginx's address-family rules: {@code 0.0.0.0} is IPv4 only and
 * {@code [::]} is IPv6 only, so {@code ["0.0.0.0:443", "[::]:443"]} serves both families and either
 * alone serves its own.
 *
 * <p>Why this is needed: the JDK opens every server socket as a dual-stack IPv6 socket unless told
 * otherwise, so a {@code 0.0.0.0} bind also took the IPv6 port and a {@code [::]} bind after it
 * failed with "Address already in use" on any Linux host with the default {@code
 * net.ipv6.bindv6only=0}: the shipped configuration crash-looped.
 *
 * <p>IPv4 addresses get an IPv4 socket on every transport. The native epoll transport sets {@code
 * IPV6_V6ONLY} on IPv6 sockets. NIO cannot: the JDK clears {@code IPV6_V6ONLY} on every IPv6 socket
 * and offers no option to set it, so under NIO an IPv6 wildcard socket also serves IPv4, and an IPv4
 * wildcard on the same port is left to it ({@link #plan}) instead of colliding with it.
 */
public final class ListenSockets {
  /** {@code setsockopt(fd, IPPROTO_IPV6 = 41, IPV6_V6ONLY = 26, 1)}, from Linux's netinet/in.h. */
  static final IntegerUnixChannelOption IPV6_V6ONLY =
      new IntegerUnixChannelOption("IPV6_V6ONLY", 41, 26);

  private ListenSockets() {}

  /**
   * The sockets to open for the addresses a listener asks for: all of them, except that under NIO
   * an IPv4 wildcard is served by the dual-stack IPv6 wildcard socket of the same port.
   */
  public static List<BindAddress> plan(List<BindAddress> wanted, Transport transport) {
    if (transport != Transport.NIO) {
      return wanted;
    }
    Set<Integer> dualStackPorts =
        wanted.stream()
            .filter(b -> isWildcard(b, true))
            .map(BindAddress::port)
            .collect(Collectors.toSet());
    return wanted.stream()
        .filter(b -> !(isWildcard(b, false) && dualStackPorts.contains(b.port())))
        .toList();
  }

  /** Binds one address with a socket of the address's own family (IPv6: IPv6-only where possible). */
  public static ChannelFuture bind(ServerBootstrap template, Transport transport, InetSocketAddress address) {
    boolean ipv6 = address.getAddress() instanceof Inet6Address;
    ServerBootstrap b =
        template
            .clone()
            .channelFactory(
                transport.serverChannelFactory(
                    ipv6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET));
    if (ipv6 && transport == Transport.EPOLL) {
      b.option(IPV6_V6ONLY, 1);
    }
    return b.bind(address);
  }

  /** Whether the address is the wildcard ({@code ::} when ipv6, else {@code 0.0.0.0}) as written. */
  static boolean isWildcard(BindAddress bind, boolean ipv6) {
    String host = bind.host();
    if (ipv6 != host.contains(":")) {
      return false;
    }
    try {
      // an IP literal (it has a ':' or is dotted digits here) is parsed, never looked up
      return (ipv6 || host.matches("[0-9.]+")) && InetAddress.getByName(host).isAnyLocalAddress();
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }
}
