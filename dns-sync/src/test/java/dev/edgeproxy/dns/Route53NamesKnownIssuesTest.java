package dev.edgeproxy.dns;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * Regression test for a finding of {@link Route53NamesFuzzTest} (JAZZER_FUZZ=1, within 750
 * executions): the record name {@code ^.\.} decoded to {@code ^..}, an escaped dot ({@code \.} or
 * {@code \056}, a dot inside a label) becoming a label separator, so that {@link
 * Route53Names#canonical} still ended in a dot and {@code a\056b.zone.} compared like {@code
 * a.b.zone}. Escaped dots are now refused in host patterns and kept escaped in canonical names.
 */
class Route53NamesKnownIssuesTest {

  @Test
  void escapedDotKeepsTheFuzzProperty() throws IOException {
    byte[] input;
    try (InputStream in = Objects.requireNonNull(
        getClass().getResourceAsStream("Route53NamesKnownIssues/escaped-dot-leaves-trailing-dot"))) {
      input = in.readAllBytes();
    }
    new Route53NamesFuzzTest().decodedNamesAreHostPatternsOrRefused(input);
  }
}
