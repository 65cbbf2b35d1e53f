package dev.edgeproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgeproxy.config.ConfigReader.M;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A map's keys are its record's components: declared once, and nothing else is read. */
class ConfigKeysTest {
  @Test
  void keysAreTheRecordComponentsRenamedWhereTheRecordSays() {
    assertThat(ConfigKeys.of(TlsListenerConfig.class))
        .containsExactlyInAnyOrder(
            "bind", "acceptProxyProtocol", "proxyProtocolFrom", "clientHelloTimeout",
            "maxClientHelloBytes", "noSni");
    assertThat(ConfigKeys.of(BackendPoolConfig.class))
        .as("a pool's name is its key under backends, not a key inside it")
        .doesNotContain("name")
        .contains("tls", "http", "healthCheck");
  }

  @Test
  void readingAKeyTheRecordDoesNotHaveIsAProgrammingError() {
    M limits = new M(null, "limits", ConfigKeys.of(LimitsConfig.class));
    assertThat(limits.field("idleTimeout")).isNull();
    assertThatThrownBy(() -> limits.field("idleTimeot"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("idleTimeot");
  }

  @Test
  void anUnknownKeyIsOfferedTheNearestRecordComponent() {
    assertThatThrownBy(
            () -> ConfigLoader.loadFromString("limits:\n  halfClosedTimeot: 5s\n", "t.yaml", Map.of()))
        .hasMessage("t.yaml:2:3: limits.halfClosedTimeot: unknown key (did you mean 'halfClosedTimeout'?)");
  }
}
