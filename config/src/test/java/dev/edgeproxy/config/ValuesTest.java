package dev.edgeproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ValuesTest {
  @ParameterizedTest
  @CsvSource({
    "0.0.0.0:443, 0.0.0.0, 443, 0.0.0.0:443",
    "[::]:443, ::, 443, [::]:443",
    "[2001:db8::1]:80, 2001:db8::1, 80, [2001:db8::1]:80",
    "host.example:9901, host.example, 9901, host.example:9901",
  })
  void bindAddresses(String text, String host, int port, String printed) {
    BindAddress b = BindAddress.parse(text);
    assertThat(b).isEqualTo(new BindAddress(host, port));
    assertThat(b.toString()).isEqualTo(printed);
    assertThat(Endpoint.parse(text)).isEqualTo(new Endpoint(host, port));
    assertThat(Endpoint.parse(text).toString()).isEqualTo(printed);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"443", ":443", "host", "host:", "host:0", "host:65536", "::1:443", "[::1]443", "[host]:1", "a b:1", "host:x"})
  void badAddresses(String text) {
    assertThatThrownBy(() -> BindAddress.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void bindResolvesLiteral() {
    assertThat(BindAddress.parse("127.0.0.1:80").toSocketAddress().getAddress().isLoopbackAddress()).isTrue();
    assertThat(Endpoint.parse("a.example:80").toUnresolvedAddress().isUnresolved()).isTrue();
  }

  @ParameterizedTest
  @CsvSource({
    "127.0.0.0/8, 127.0.0.1, true",
    "127.0.0.0/8, 128.0.0.1, false",
    "100.64.0.0/10, 100.127.255.255, true",
    "100.64.0.0/10, 100.128.0.0, false",
    "10.1.2.3/8, 10.200.0.1, true",
    "::1/128, ::1, true",
    "::1/128, ::2, false",
    "2001:db8::/32, 2001:db8:ffff::1, true",
    "127.0.0.0/8, ::1, false",
    "::/0, 10.0.0.1, false",
    "0.0.0.0/0, 10.0.0.1, true",
    "192.168.1.7, 192.168.1.7, true",
    "192.168.1.7, 192.168.1.8, false",
  })
  void cidrContains(String cidr, String address, boolean contained) throws Exception {
    assertThat(Cidr.parse(cidr).contains(InetAddress.getByName(address))).isEqualTo(contained);
  }

  @Test
  void cidrNormalises() {
    assertThat(Cidr.parse("10.1.2.3/8").toString()).isEqualTo("10.0.0.0/8");
    assertThat(Cidr.parse("10.1.2.3/8")).isEqualTo(Cidr.parse("10.0.0.0/8"));
    assertThat(Cidr.parse("100.64.0.0/10").toString()).isEqualTo("100.64.0.0/10");
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "10.0.0.0/33", "::1/129", "10.0.0.0/x", "", "1.2.3/8x"})
  void badCidrs(String text) {
    assertThatThrownBy(() -> Cidr.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }
}
