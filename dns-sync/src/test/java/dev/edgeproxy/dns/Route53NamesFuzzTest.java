package dev.edgeproxy.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.InvalidHostNameException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Route53's escaped record names, as the API could return them (every byte, every escape).
 * Properties: decoding succeeds or refuses with {@link IllegalArgumentException}; a name Route53
 * would write for the decoded text decodes back to it; the comparison form never throws; a record
 * name becomes a host pattern or an {@link InvalidHostNameException}, nothing else, and the pattern
 * is the one its own Route53 spelling gives.
 */
class Route53NamesFuzzTest {

  @FuzzTest(maxDuration = "20s")
  void decodedNamesAreHostPatternsOrRefused(byte[] input) {
    String raw = new String(input, StandardCharsets.ISO_8859_1);

    String decoded = null;
    try {
      decoded = Route53Names.decode(raw);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).as("a refusal says why").isNotBlank();
    }
    if (decoded != null && decoded.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
      assertThat(Route53Names.decode(route53Spelling(decoded))).isEqualTo(decoded);
    }

    String canonical = Route53Names.canonical(raw);
    assertThat(canonical).isEqualTo(canonical.toLowerCase(Locale.ROOT)).doesNotEndWith(".");

    HostPattern pattern;
    try {
      pattern = Route53Names.toPattern(raw);
    } catch (IllegalArgumentException e) {
      assertThat(e).isInstanceOf(InvalidHostNameException.class);
      if (decoded == null) {
        return;
      }
      // a refused name stays refused however Route53 spells it; not so for an escaped dot, which
      // is refused for its spelling (a dot inside a label), a fact the decoded text no longer has
      String again = route53Spelling(decoded);
      if (!Route53Names.hasEscapedDot(raw) && decoded.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
        assertThatThrownBy(() -> Route53Names.toPattern(again)).isInstanceOf(InvalidHostNameException.class);
      }
      return;
    }
    assertThat(decoded).isNotNull();
    String text = pattern.toString();
    assertThat(text.chars().allMatch(c -> c > ' ' && c < 0x7f)).as("pattern %s", text).isTrue();
    assertThat(Route53Names.toPattern(route53Spelling(text))).isEqualTo(pattern);
    assertThat(HostPattern.parse(text)).isEqualTo(pattern);
  }

  /** How the Route53 API writes a name: everything but {@code a-z 0-9 - _ .} as {@code \ddd}. */
  static String route53Spelling(String name) {
    StringBuilder out = new StringBuilder();
    for (char c : name.toCharArray()) {
      if (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
        out.append(c);
      } else {
        out.append('\\').append(String.format(Locale.ROOT, "%03o", (int) c));
      }
    }
    return out.toString();
  }
}
