package dev.edgeproxy.sni;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regression tests for issue 8 defects 1 and 2 (fixed), found by {@link HttpFrontendFuzzTest}'s property on
 * this branch, whose fixes are made on other branches. Each input, in the fuzz test's input
 * layout, makes a request that names the denied host (or switches protocol) reach the allowed
 * host's backend. When the fixes are merged: remove {@code @Disabled} and move the files from
 * {@code HttpFrontendKnownDefects/} into {@code HttpFrontendFuzzTestInputs/...} (the corpus).
 */
class HttpFrontendKnownDefectsTest {

  @ParameterizedTest
  @ValueSource(strings = {
    "issue8-defect1-non-http-scheme",
    // found by JAZZER_FUZZ=1 within 20 executions: GET http\xdf://allowed.example:80/p is forwarded
    "issue8-defect1-found-by-fuzzer-odd-scheme",
    "issue8-defect2-h2c-upgrade"
  })
  void reproducerHoldsTheFuzzProperty(String name) throws IOException {
    byte[] input;
    try (InputStream in = Objects.requireNonNull(
        getClass().getResourceAsStream("HttpFrontendKnownDefects/" + name), name)) {
      input = in.readAllBytes();
    }
    new HttpFrontendFuzzTest().refusedHostsNeverReachTheDialerOrABackend(input);
  }
}
