package dev.edgeproxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgeproxy.config.ConfigException;
import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.TlsListenerConfig;
import dev.edgeproxy.sni.TlsFrontendSettings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code listeners.tls.maxClientHelloBytes} has one range: whatever the configuration accepts, the
 * TLS listener accepts, and nothing the configuration refuses is a listener's value either (once
 * 1 MiB in the loader and 16 MiB in the listener).
 */
class ClientHelloBoundsTest {
  @Test
  void theConfigurationAndTheTlsListenerAgreeOnTheBounds() {
    assertThat(TlsListenerConfig.MIN_MAX_CLIENT_HELLO_BYTES)
        .isEqualTo(TlsFrontendSettings.MIN_CLIENT_HELLO_BYTES);
    assertThat(TlsListenerConfig.MAX_MAX_CLIENT_HELLO_BYTES)
        .isEqualTo(TlsFrontendSettings.MAX_CLIENT_HELLO_BYTES);
  }

  @Test
  void theEdgesLoadAndStartAndOneBeyondIsRefusedByBoth() throws Exception {
    for (int edge :
        new int[] {TlsFrontendSettings.MIN_CLIENT_HELLO_BYTES, TlsFrontendSettings.MAX_CLIENT_HELLO_BYTES}) {
      TlsListenerConfig tls =
          ConfigLoader.loadFromString(config(edge), "t.yaml", Map.of()).listeners().tls().orElseThrow();
      assertThat(tls.maxClientHelloBytes()).isEqualTo(edge);
      assertThat(settings(edge).maxClientHelloBytes()).isEqualTo(edge);
    }
    for (int beyond :
        new int[] {
          TlsFrontendSettings.MIN_CLIENT_HELLO_BYTES - 1, TlsFrontendSettings.MAX_CLIENT_HELLO_BYTES + 1
        }) {
      assertThatThrownBy(() -> ConfigLoader.loadFromString(config(beyond), "t.yaml", Map.of()))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("listeners.tls.maxClientHelloBytes");
      assertThatThrownBy(() -> settings(beyond)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  private static String config(int maxClientHelloBytes) {
    return "listeners:\n  tls:\n    maxClientHelloBytes: " + maxClientHelloBytes
        + "\nbackends:\n  p:\n    tls: [\"10.0.0.1:443\"]\ndefaultBackend: p\n";
  }

  private static TlsFrontendSettings settings(int maxClientHelloBytes) {
    return new TlsFrontendSettings(
        "tls", false, a -> false, Duration.ofSeconds(10), maxClientHelloBytes, Duration.ofMinutes(15));
  }
}
