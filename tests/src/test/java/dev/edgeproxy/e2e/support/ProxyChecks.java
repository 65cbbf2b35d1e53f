package dev.edgeproxy.e2e.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.util.HexFormat;

/** What the source tests ask of a running proxy: is a host forwarded or refused now, and what /status says. */
public final class ProxyChecks {

  private ProxyChecks() {}

  /** A TLS connection with SNI {@code host} reaches nginx (which echoes the SNI) through the proxy. */
  public static void assertForwarded(EdgeProxyProcess proxy, String host) throws IOException {
    TlsConnection.Reply reply = TlsConnection.get(TlsConnection.loopback(proxy.tlsPort()), host, "/");
    assertThat(reply.status()).as("status for %s", host).isEqualTo(200);
    assertThat(reply.body()).as("nginx reply for %s", host).endsWith(" sni=" + host + "\n");
  }

  /** The proxy refuses SNI {@code host} with the alert unrecognized_name, and its access log says refused. */
  public static void assertRefused(EdgeProxyProcess proxy, String host) throws IOException {
    TlsConnection.FailedHandshake refused =
        TlsConnection.failedHandshake(TlsConnection.loopback(proxy.tlsPort()), host);
    assertThat(refused.error().getMessage()).as("handshake error for %s", host).contains("unrecognized_name");
    AccessLogEntry entry = proxy.awaitAccessLog(refused.localPort());
    assertThat(entry.decision()).as(entry.line()).isEqualTo("refused");
    assertThat(entry.host()).as(entry.line()).isEqualTo(host);
  }

  /** Waits (at most {@code atMost}) until {@code host} is forwarded. */
  public static void awaitForwarded(EdgeProxyProcess proxy, String host, Duration atMost) {
    await(host + " forwarded").atMost(atMost).pollInterval(Duration.ofMillis(250))
        .ignoreExceptionsInstanceOf(IOException.class)
        .untilAsserted(() -> assertForwarded(proxy, host));
  }

  /** Waits (at most {@code atMost}) until {@code host} is refused. */
  public static void awaitRefused(EdgeProxyProcess proxy, String host, Duration atMost) {
    await(host + " refused").atMost(atMost).pollInterval(Duration.ofMillis(250))
        .ignoreExceptionsInstanceOf(AssertionError.class)
        .until(() -> {
          assertRefused(proxy, host);
          return true;
        });
  }

  /** {@code /status} as JSON. */
  public static JsonNode status(EdgeProxyProcess proxy) throws IOException, InterruptedException {
    return proxy.adminJson("/status");
  }

  /** {@code /status} {@code sources.<name>}, or a missing node. */
  public static JsonNode source(EdgeProxyProcess proxy, String name) throws IOException, InterruptedException {
    return status(proxy).path("sources").path(name);
  }

  /** {@code /status pools.<pool>[0]}: the pool's first endpoint ({@code endpoint, healthy, active, listener}). */
  public static JsonNode firstEndpoint(EdgeProxyProcess proxy, String pool) throws IOException, InterruptedException {
    return status(proxy).path("pools").path(pool).path(0);
  }

  /** Waits until {@code sources.<name>.lastError} is set and returns it. */
  public static String awaitSourceError(EdgeProxyProcess proxy, String name, Duration atMost) {
    return await("/status sources." + name + ".lastError set").atMost(atMost).pollInterval(Duration.ofMillis(250))
        .until(() -> {
          JsonNode error = source(proxy, name).path("lastError");
          return error.isTextual() ? error.asText() : null;
        }, e -> e != null);
  }

  /**
   * Waits until {@code sources.<name>.lastSuccess} is set. A fresh node is ready as soon as one source (the local
   * file) has answered, so the first Git or Route53 answer may come a few seconds after /readyz says 200.
   */
  public static void awaitSourceSuccess(EdgeProxyProcess proxy, String name, Duration atMost) {
    await("/status sources." + name + ".lastSuccess set").atMost(atMost).pollInterval(Duration.ofMillis(200))
        .until(() -> source(proxy, name).path("lastSuccess").isTextual());
  }

  /** Bearer auth for POST /sync. */
  public static Map<String, String> bearer(String token) {
    return Map.of("Authorization", "Bearer " + token);
  }

  /** GitHub's {@code X-Hub-Signature-256} value for {@code body}. */
  public static String githubSignature(String secret, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The Prometheus text of {@code /metrics}. */
  public static String metrics(EdgeProxyProcess proxy) throws IOException, InterruptedException {
    Map.Entry<Integer, String> reply = proxy.admin("/metrics");
    assertThat(reply.getKey()).as("GET /metrics: %s", reply.getValue()).isEqualTo(200);
    return reply.getValue();
  }
}
