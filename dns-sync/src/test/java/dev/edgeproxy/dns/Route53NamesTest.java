package dev.edgeproxy.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.InvalidHostNameException;
import org.junit.jupiter.api.Test;

class Route53NamesTest {
  @Test
  void wildcardEscapeBecomesWildcardPattern() {
    HostPattern pattern = Route53Names.toPattern("\\052.apps.example.com.");
    assertThat(pattern.isWildcard()).isTrue();
    assertThat(pattern).hasToString("*.apps.example.com");
  }

  @Test
  void octalEscapesAreDecoded() {
    assertThat(Route53Names.decode("my\\055host.example.com.")).isEqualTo("my-host.example.com.");
    assertThat(Route53Names.toPattern("My\\055Host.Example.COM."))
        .hasToString("my-host.example.com");
    assertThat(Route53Names.decode("a\\.b")).isEqualTo("a.b");
  }

  @Test
  void namesThatAreNotHostNamesAreRejected() {
    assertThatThrownBy(() -> Route53Names.toPattern("_dmarc.example.com."))
        .isInstanceOf(InvalidHostNameException.class);
    assertThatThrownBy(() -> Route53Names.toPattern("odd\\137name.example.com."))
        .isInstanceOf(InvalidHostNameException.class);
    assertThatThrownBy(() -> Route53Names.toPattern("a.\\052.example.com."))
        .isInstanceOf(InvalidHostNameException.class);
    // a decoded space must not be stripped away into a valid name
    assertThatThrownBy(() -> Route53Names.toPattern("\\040example.com."))
        .isInstanceOf(InvalidHostNameException.class);
    assertThatThrownBy(() -> Route53Names.toPattern("caf\\303\\251.example.com."))
        .isInstanceOf(InvalidHostNameException.class)
        .hasMessageContaining("not a printable ASCII");
    assertThatThrownBy(() -> Route53Names.toPattern("bad\\09.example.com."))
        .isInstanceOf(InvalidHostNameException.class);
    assertThatThrownBy(() -> Route53Names.toPattern("short\\05"))
        .isInstanceOf(InvalidHostNameException.class);
    assertThatThrownBy(() -> Route53Names.toPattern("trailing\\"))
        .isInstanceOf(InvalidHostNameException.class);
  }

  @Test
  void canonicalFormIgnoresCaseAndTrailingDot() {
    assertThat(Route53Names.canonical("Example.ORG.")).isEqualTo("example.org");
    assertThat(Route53Names.canonical("example.org")).isEqualTo("example.org");
    assertThat(Route53Names.canonical("\\052.Example.org.")).isEqualTo("*.example.org");
  }

  @Test
  void anEscapedDotInsideALabelNeverBecomesExtraLabels() {
    assertThatThrownBy(() -> Route53Names.toPattern("x\\056y.example.com."))
        .isInstanceOf(InvalidHostNameException.class)
        .hasMessageContaining("escaped dot inside a label");
    assertThatThrownBy(() -> Route53Names.toPattern("x\\.y.example.com."))
        .isInstanceOf(InvalidHostNameException.class);
    // an escaped backslash followed by digits is not an escaped dot
    assertThat(Route53Names.hasEscapedDot("a\\\\056.example.com.")).isFalse();
  }

  @Test
  void withinTheZoneMeansTheApexOrBelowIt() {
    assertThat(Route53Names.isWithin("example.com", "example.com")).isTrue();
    assertThat(Route53Names.isWithin("a.b.example.com", "example.com")).isTrue();
    assertThat(Route53Names.isWithin("google.com", "example.com")).isFalse();
    assertThat(Route53Names.isWithin("com", "example.com")).isFalse();
    assertThat(Route53Names.isWithin("badexample.com", "example.com")).isFalse();
  }
}
