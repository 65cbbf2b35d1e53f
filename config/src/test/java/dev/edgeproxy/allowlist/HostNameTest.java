package dev.edgeproxy.allowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostNameTest {
  @ParameterizedTest
  @CsvSource({
    "example.com, example.com",
    "Example.COM, example.com",
    "example.com., example.com",
    "bücher.example.com, xn--bcher-kva.example.com",
    "BÜCHER.example.com, xn--bcher-kva.example.com",
    "xn--bcher-kva.example.com, xn--bcher-kva.example.com",
    "localhost, localhost",
    "1.2.3.4, 1.2.3.4",
    "3com.example, 3com.example",
    "a-b.c-d.e, a-b.c-d.e",
  })
  void normalises(String raw, String expected) {
    assertThat(HostName.parse(raw).value()).isEqualTo(expected);
    assertThat(HostName.tryParse(raw)).contains(HostName.parse(expected));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "", ".", "..", "a..b", ".a.b", "-a.com", "a-.com", "a_b.com", "a b.com", "a:443",
        "a/b", "*.example.com", "a.com..", "ex\u0000ample.com"
      })
  void rejectsInvalid(String raw) {
    assertThat(HostName.tryParse(raw)).isEmpty();
    assertThatThrownBy(() -> HostName.parse(raw))
        .isInstanceOf(InvalidHostNameException.class)
        .hasMessageContaining("invalid host name");
  }

  @Test
  void nullIsInvalid() {
    assertThat(HostName.tryParse(null)).isEmpty();
  }

  @Test
  void labelLimitIs63() {
    String label63 = "a".repeat(63);
    assertThat(HostName.parse(label63 + ".com").value()).isEqualTo(label63 + ".com");
    assertThatThrownBy(() -> HostName.parse("a".repeat(64) + ".com"))
        .hasMessageContaining("label longer than 63");
  }

  @Test
  void nameLimitIs253WithoutTrailingDot() {
    // 4 labels of 62 + 3 dots = 251; + ".x" = 253
    String name253 = String.join(".", "a".repeat(62), "b".repeat(62), "c".repeat(62), "d".repeat(62)) + ".x";
    assertThat(name253).hasSize(253);
    assertThat(HostName.parse(name253).value()).isEqualTo(name253);
    assertThat(HostName.parse(name253 + ".").value()).isEqualTo(name253);
    assertThatThrownBy(() -> HostName.parse(name253 + "y")).hasMessageContaining("longer than 253");
  }

  @Test
  void equalityIgnoresCaseAndTrailingDot() {
    assertThat(HostName.parse("A.example.com.")).isEqualTo(HostName.parse("a.example.com"));
    assertThat(HostName.parse("A.example.com.").hashCode())
        .isEqualTo(HostName.parse("a.example.com").hashCode());
    assertThat(HostName.parse("a.com")).isLessThan(HostName.parse("b.com"));
  }

  @Test
  void parentDomain() {
    assertThat(HostName.parse("a.b.c").parentDomain()).contains("b.c");
    assertThat(HostName.parse("c").parentDomain()).isEmpty();
  }
}
