package dev.edgeproxy.git;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Webhook signature verification against any headers, body and secret. Properties: it never
 * throws; a request is valid only when the header checked carries the body's HMAC-SHA256 under the
 * secret (or GitLab's token equals the secret), computed here independently; and the correct
 * signature, in whatever case of header name and hex digits, is always accepted.
 */
class WebhookVerifierFuzzTest {
  private static final String[] HEADERS = {
    "X-Hub-Signature-256", "X-Gitea-Signature", "X-Forgejo-Signature", "X-Gitlab-Token", "X-Other"
  };

  @FuzzTest(maxDuration = "20s")
  void validOnlyWithTheSecretsSignature(FuzzedDataProvider data) {
    String secret = data.consumeString(64);
    Map<String, String> headers = new LinkedHashMap<>();
    int count = data.consumeInt(0, 3);
    for (int i = 0; i < count; i++) {
      String name = data.pickValue(HEADERS);
      name = data.consumeBoolean() ? name.toLowerCase(Locale.ROOT) : name;
      headers.put(name, data.consumeString(80));
    }
    byte[] body = data.consumeRemainingAsBytes();

    WebhookVerifier.Result result = WebhookVerifier.verify(headers, body, secret);

    assertThat(result.reason()).isNotBlank();
    if (result.valid()) {
      assertThat(secret).isNotEmpty();
      WebhookVerifier.Forge forge = result.forge().orElseThrow();
      String value = headerValue(headers, forge);
      if (forge == WebhookVerifier.Forge.GITLAB) {
        assertThat(value).isEqualTo(secret);
      } else {
        String hex = forge == WebhookVerifier.Forge.GITHUB ? value.strip().substring("sha256=".length()) : value;
        assertThat(MessageDigest.isEqual(HexFormat.of().parseHex(hex.strip().toLowerCase(Locale.ROOT)), hmac(secret, body)))
            .isTrue();
      }
    }
    if (!secret.isEmpty()) {
      String signature = HexFormat.of().formatHex(hmac(secret, body));
      boolean upper = body.length % 2 == 0;
      String sent = upper ? signature.toUpperCase(Locale.ROOT) : signature;
      assertThat(WebhookVerifier.verify(Map.of("x-hub-signature-256", "sha256=" + sent), body, secret).valid())
          .isTrue();
      assertThat(WebhookVerifier.verify(Map.of("X-Gitea-Signature", sent), body, secret).valid()).isTrue();
      assertThat(WebhookVerifier.verify(Map.of("X-GITLAB-TOKEN", secret), body, secret).valid()).isTrue();
    }
  }

  private static String headerValue(Map<String, String> headers, WebhookVerifier.Forge forge) {
    String wanted = switch (forge) {
      case GITHUB -> "X-Hub-Signature-256";
      case GITEA -> "X-Gitea-Signature";
      case FORGEJO -> "X-Forgejo-Signature";
      case GITLAB -> "X-Gitlab-Token";
    };
    return headers.entrySet().stream()
        .filter(e -> e.getKey().equalsIgnoreCase(wanted))
        .map(Map.Entry::getValue)
        .findFirst()
        .orElseThrow();
  }

  private static byte[] hmac(String secret, byte[] body) {
    try {
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(
          secret.getBytes(java.nio.charset.StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(body);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
