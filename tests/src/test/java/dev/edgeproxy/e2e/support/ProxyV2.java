package dev.edgeproxy.e2e.support;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Builds PROXY protocol v2 headers by hand (haproxy doc/proxy-protocol.txt, section 2.2), so the fixture
 * self-test can prove the backends parse what the proxy is supposed to send, independently of the proxy.
 */
public final class ProxyV2 {

  private static final byte[] SIGNATURE = {
      0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  public static final int PP2_TYPE_AUTHORITY = 0x02;
  public static final int PP2_TYPE_UNIQUE_ID = 0x05;

  private ProxyV2() {}

  /** A PROXY command for a TCP stream from {@code source} to {@code destination} (same family), with TLVs. */
  public static byte[] header(InetSocketAddress source, InetSocketAddress destination, String authority, String uniqueId) {
    ByteArrayOutputStream tlvs = new ByteArrayOutputStream();
    if (authority != null) {
      tlv(tlvs, PP2_TYPE_AUTHORITY, authority.getBytes(StandardCharsets.US_ASCII));
    }
    if (uniqueId != null) {
      tlv(tlvs, PP2_TYPE_UNIQUE_ID, uniqueId.getBytes(StandardCharsets.US_ASCII));
    }
    boolean v4 = source.getAddress() instanceof Inet4Address;
    byte[] src = source.getAddress().getAddress();
    byte[] dst = destination.getAddress().getAddress();
    int length = src.length + dst.length + 4 + tlvs.size();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(SIGNATURE);
    out.write(0x21); // version 2, PROXY
    out.write(v4 ? 0x11 : 0x21); // TCP over IPv4 / IPv6
    out.write(length >>> 8);
    out.write(length & 0xFF);
    out.writeBytes(src);
    out.writeBytes(dst);
    out.write(source.getPort() >>> 8);
    out.write(source.getPort() & 0xFF);
    out.write(destination.getPort() >>> 8);
    out.write(destination.getPort() & 0xFF);
    out.writeBytes(tlvs.toByteArray());
    return out.toByteArray();
  }

  private static void tlv(ByteArrayOutputStream out, int type, byte[] value) {
    out.write(type);
    out.write(value.length >>> 8);
    out.write(value.length & 0xFF);
    out.writeBytes(value);
  }
}
