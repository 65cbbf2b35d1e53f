package dev.edgeproxy.sni;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProtocolVersion;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.handler.codec.haproxy.HAProxyTLV;
import io.netty.util.NetUtil;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Builds the PROXY protocol header we send a backend (haproxy doc/proxy-protocol.txt). */
final class ProxyHeaders {
  /** PP2_TYPE_AUTHORITY: the host name the client asked for. */
  static final byte PP2_TYPE_AUTHORITY = 0x02;
  /** PP2_TYPE_UNIQUE_ID: our connection id, at most 128 bytes. */
  static final byte PP2_TYPE_UNIQUE_ID = 0x05;
  private static final int MAX_UNIQUE_ID = 128;

  /**
   * The header for {@code spec}, or null for {@link ProxyHeaderSpec.Version#NONE}. The caller owns
   * the returned message; writing it through {@code HAProxyMessageEncoder} releases it.
   *
   * @param host the host for the AUTHORITY TLV, or null to send none
   */
  static HAProxyMessage message(ProxyHeaderSpec spec, ConnectionInfo connection, String host) {
    if (spec.version() == ProxyHeaderSpec.Version.NONE) {
      return null;
    }
    InetSocketAddress source = connection.client();
    InetSocketAddress destination = connection.local();
    InetAddress src = source.getAddress();
    InetAddress dst = destination.getAddress();
    if (src == null || dst == null) {
      throw new IllegalArgumentException("unresolved address in " + connection);
    }
    boolean ipv4 = src instanceof Inet4Address && dst instanceof Inet4Address;
    // Mixed families cannot share one address block: send both as IPv6, IPv4 ones mapped
    // (::ffff:a.b.c.d), as Armeria's HAProxyHandler does.
    String srcText = ipv4 ? NetUtil.toAddressString(src) : ipv6Text(src);
    String dstText = ipv4 ? NetUtil.toAddressString(dst) : ipv6Text(dst);
    HAProxyProxiedProtocol protocol = ipv4 ? HAProxyProxiedProtocol.TCP4 : HAProxyProxiedProtocol.TCP6;
    if (spec.version() == ProxyHeaderSpec.Version.V1) {
      return new HAProxyMessage(
          HAProxyProtocolVersion.V1, HAProxyCommand.PROXY, protocol, srcText, dstText,
          source.getPort(), destination.getPort());
    }
    List<HAProxyTLV> tlvs = new ArrayList<>(2);
    if (spec.authorityTlv() && host != null) {
      tlvs.add(tlv(PP2_TYPE_AUTHORITY, host.getBytes(StandardCharsets.UTF_8)));
    }
    if (spec.uniqueIdTlv()) {
      byte[] id = connection.id().getBytes(StandardCharsets.UTF_8);
      if (id.length <= MAX_UNIQUE_ID) {
        tlvs.add(tlv(PP2_TYPE_UNIQUE_ID, id));
      }
    }
    return new HAProxyMessage(
        HAProxyProtocolVersion.V2, HAProxyCommand.PROXY, protocol, srcText, dstText,
        source.getPort(), destination.getPort(), tlvs);
  }

  private static HAProxyTLV tlv(byte type, byte[] value) {
    // Unpooled heap bytes: the message's deallocate releases them, nothing to leak.
    return new HAProxyTLV(type, Unpooled.wrappedBuffer(value));
  }

  private static String ipv6Text(InetAddress address) {
    if (address instanceof Inet4Address) {
      return "::ffff:" + address.getHostAddress();
    }
    return NetUtil.toAddressString(address);
  }

  private ProxyHeaders() {}
}
