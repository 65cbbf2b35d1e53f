package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Header bytes against the layout of haproxy's doc/proxy-protocol.txt, section 2.2. */
class ProxyHeadersTest {
  static final String SIGNATURE = "0d0a0d0a000d0a515549540a";
  static final String ID = "00112233aabbccdd";

  static ConnectionInfo info(String client, int clientPort, String local, int localPort) {
    return new ConnectionInfo(
        ID, "tls", new InetSocketAddress(client, clientPort), new InetSocketAddress(local, localPort));
  }

  static String hex(ProxyHeaderSpec spec, ConnectionInfo info, String host) {
    return ByteBufUtil.hexDump(SniPeekHandlerTest.encode(ProxyHeaders.message(spec, info, host)));
  }

  static String tlv(int type, String value) {
    byte[] v = value.getBytes(StandardCharsets.US_ASCII);
    return String.format("%02x%04x", type, v.length) + ByteBufUtil.hexDump(v);
  }

  @Test
  void v2Ipv4WithTlvs() {
    String tlvs = tlv(0x02, "app.example.com") + tlv(0x05, ID);
    int length = 12 + tlvs.length() / 2;
    assertThat(hex(ProxyHeaderSpec.V2_WITH_TLVS, info("192.0.2.1", 51000, "198.51.100.2", 443), "app.example.com"))
        .isEqualTo(
            SIGNATURE
                + "21" // version 2, PROXY
                + "11" // AF_INET, STREAM
                + String.format("%04x", length)
                + "c0000201" + "c6336402" // src, dst
                + "c738" + "01bb" // 51000, 443
                + tlvs);
  }

  @Test
  void v2Ipv4WithoutTlvs() {
    assertThat(hex(new ProxyHeaderSpec(ProxyHeaderSpec.Version.V2, false, false), info("10.0.0.1", 1, "10.0.0.2", 2), "x.example.com"))
        .isEqualTo(SIGNATURE + "21" + "11" + "000c" + "0a000001" + "0a000002" + "0001" + "0002");
  }

  @Test
  void v2AuthorityIsLeftOutWithoutHost() {
    assertThat(hex(ProxyHeaderSpec.V2_WITH_TLVS, info("10.0.0.1", 1, "10.0.0.2", 2), null))
        .isEqualTo(SIGNATURE + "21" + "11" + String.format("%04x", 12 + 3 + 16)
            + "0a000001" + "0a000002" + "0001" + "0002" + tlv(0x05, ID));
  }

  @Test
  void v2Ipv6() {
    assertThat(hex(new ProxyHeaderSpec(ProxyHeaderSpec.Version.V2, true, false), info("2001:db8::1", 40000, "2001:db8::2", 443), "six.example.com"))
        .isEqualTo(
            SIGNATURE + "21" + "21" // AF_INET6, STREAM
                + String.format("%04x", 36 + 3 + 15)
                + "20010db8000000000000000000000001"
                + "20010db8000000000000000000000002"
                + "9c40" + "01bb"
                + tlv(0x02, "six.example.com"));
  }

  @Test
  void v2MixedFamiliesUseIpv4MappedIpv6() {
    assertThat(hex(new ProxyHeaderSpec(ProxyHeaderSpec.Version.V2, false, false), info("192.0.2.1", 40000, "2001:db8::2", 443), null))
        .isEqualTo(
            SIGNATURE + "21" + "21" + "0024"
                + "00000000000000000000ffffc0000201"
                + "20010db8000000000000000000000002"
                + "9c40" + "01bb");
  }

  @Test
  void v1Text() {
    ProxyHeaderSpec v1 = new ProxyHeaderSpec(ProxyHeaderSpec.Version.V1, true, true);
    assertThat(new String(SniPeekHandlerTest.encode(ProxyHeaders.message(v1, info("192.0.2.1", 51000, "198.51.100.2", 443), "h")), StandardCharsets.US_ASCII))
        .isEqualTo("PROXY TCP4 192.0.2.1 198.51.100.2 51000 443\r\n");
    assertThat(new String(SniPeekHandlerTest.encode(ProxyHeaders.message(v1, info("2001:db8::1", 1, "192.0.2.9", 2), "h")), StandardCharsets.US_ASCII))
        .isEqualTo("PROXY TCP6 2001:db8::1 ::ffff:192.0.2.9 1 2\r\n");
  }

  @Test
  void noneSendsNothing() {
    assertThat(ProxyHeaders.message(ProxyHeaderSpec.NONE, info("10.0.0.1", 1, "10.0.0.2", 2), "h")).isNull();
  }
}
