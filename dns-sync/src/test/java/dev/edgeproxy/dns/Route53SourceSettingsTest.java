package dev.edgeproxy.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class Route53SourceSettingsTest {
  private static final List<String> ZONES = List.of("Z0123456789ABCDEFGHIJ", "example.org.");
  private static final List<String> HERE =
      List.of("203.0.113.10", "2001:db8::10", "entrance.example.com");

  @Test
  void factoryFillsDefaults() {
    Route53SourceSettings s = Route53SourceSettings.of(ZONES, HERE, null, null);
    assertThat(s.region()).isEqualTo("us-east-1");
    assertThat(s.endpoint()).isEmpty();
    assertThat(s.apiCallTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(s.maxAttempts()).isEqualTo(5);
    assertThat(s.withMaxAttempts(2).withApiCallTimeout(Duration.ofSeconds(1)))
        .extracting(Route53SourceSettings::maxAttempts, Route53SourceSettings::apiCallTimeout)
        .containsExactly(2, Duration.ofSeconds(1));
  }

  @Test
  void rejectsMissingOrBadValues() {
    assertThatThrownBy(
            () -> Route53SourceSettings.of(List.of(), HERE, "us-east-1", Optional.empty()))
        .hasMessageContaining("hostedZones");
    assertThatThrownBy(
            () -> Route53SourceSettings.of(ZONES, List.of(), "us-east-1", Optional.empty()))
        .hasMessageContaining("pointingAt");
    assertThatThrownBy(
            () ->
                Route53SourceSettings.of(
                    ZONES, List.of("1.2.3.999"), "us-east-1", Optional.empty()))
        .hasMessageContaining("1.2.3.999");
    assertThatThrownBy(
            () ->
                Route53SourceSettings.of(
                    ZONES, HERE, "us-east-1", Optional.of(URI.create("ftp://127.0.0.1/"))))
        .hasMessageContaining("endpoint");
    Route53SourceSettings ok = Route53SourceSettings.of(ZONES, HERE, "us-east-1", Optional.empty());
    assertThatThrownBy(() -> ok.withMaxAttempts(0)).hasMessageContaining("maxAttempts");
    assertThatThrownBy(() -> ok.withApiCallTimeout(Duration.ZERO))
        .hasMessageContaining("apiCallTimeout");
  }
}
