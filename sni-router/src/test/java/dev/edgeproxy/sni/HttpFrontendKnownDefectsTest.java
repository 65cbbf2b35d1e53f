package dev.edgeproxy.sni;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Regression tests for issue 8 defects 1 and 2, found by {@link HttpFrontendFuzzTest}'s property
 * before they were fixed. Each input, in the fuzz test's input layout, made a request that names
 * the denied host (or switches protocol) reach the allowed host's backend; they must keep holding
 * the property.
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
