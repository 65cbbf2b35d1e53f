package dev.edgeproxy.allowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostPatternTest {
  @ParameterizedTest
  @CsvSource({
    "*.apps.example.com, a.apps.example.com, true",
    "*.apps.example.com, A.Apps.Example.com., true",
    "*.apps.example.com, a.b.apps.example.com, false",
    "*.apps.example.com, apps.example.com, false",
    "*.apps.example.com, aapps.example.com, false",
    "*.apps.example.com, a.apps.example.org, false",
    "*.com, example.com, true",
    "*.com, a.example.com, false",
    "grafana.example.com, grafana.example.com, true",
    "grafana.example.com, GRAFANA.example.com., true",
    "grafana.example.com, a.grafana.example.com, false",
    "*.bücher.example.com, x.xn--bcher-kva.example.com, true",
  })
  void wildcardMatchesExactlyOneLabel(String pattern, String host, boolean matches) {
    assertThat(HostPattern.parse(pattern).matches(HostName.parse(host))).isEqualTo(matches);
  }

  @ParameterizedTest
  @ValueSource(strings = {"*", "**.x", "a.*.b", "*a.b", "*.", "*.*.b", "a*", "*.a..b", ""})
  void rejectsBadWildcards(String raw) {
    assertThatThrownBy(() -> HostPattern.parse(raw)).isInstanceOf(InvalidHostNameException.class);
  }

  @Test
  void normalisesAndCompares() {
    HostPattern p = HostPattern.parse(" *.Apps.Example.COM. ");
    assertThat(p.isWildcard()).isTrue();
    assertThat(p.name()).isEqualTo(HostName.parse("apps.example.com"));
    assertThat(p.toString()).isEqualTo("*.apps.example.com");
    assertThat(p).isEqualTo(HostPattern.wildcard(HostName.parse("apps.example.com")));
    assertThat(p).isNotEqualTo(HostPattern.exact(HostName.parse("apps.example.com")));
    assertThat(p.hashCode())
        .isNotEqualTo(HostPattern.exact(HostName.parse("apps.example.com")).hashCode());
  }

  @Test
  void labelCountOrdersSpecificity() {
    assertThat(HostPattern.parse("*.example.com").labelCount()).isEqualTo(3);
    assertThat(HostPattern.parse("*.a.example.com").labelCount()).isEqualTo(4);
    assertThat(HostPattern.parse("a.example.com").labelCount()).isEqualTo(3);
  }
}
