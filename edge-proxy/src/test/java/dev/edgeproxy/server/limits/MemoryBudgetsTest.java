package dev.edgeproxy.server.limits;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.EdgeProxyConfig;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemoryBudgetsTest {
  private static EdgeProxyConfig config(String limits) throws Exception {
    return ConfigLoader.loadFromString(
        "listeners:\n  tls: {maxClientHelloBytes: 16KiB}\nbackends:\n  p:\n    tls: [\"10.0.0.1:443\"]\n"
            + "defaultBackend: p\nlimits:\n" + limits,
        "t.yaml",
        Map.of());
  }

  @Test
  void anExplicitBudgetWinsAndTheDefaultIsHalfTheDirectMemoryCap() throws Exception {
    assertThat(MemoryBudgets.bytes(config("  memoryBudget: 64MiB\n").limits())).isEqualTo(64L << 20);
    assertThat(MemoryBudgets.bytes(config("  maxConnections: 10\n").limits()))
        .isEqualTo(MemoryBudgets.directMemoryCap() / 2);
  }

  @Test
  void validateWarnsWhenMaxConnectionsOfIncompleteHellosExceedTheBudget() throws Exception {
    assertThat(MemoryBudgets.warnings(config("  maxConnections: 20000\n  memoryBudget: 64MiB\n")))
        .singleElement()
        .asString()
        .contains("limits.maxConnections: 20000", "16384 bytes", "312.5 MiB", "64.0 MiB", "memory_budget");
    assertThat(MemoryBudgets.warnings(config("  maxConnections: 1000\n  memoryBudget: 64MiB\n"))).isEmpty();
  }
}
