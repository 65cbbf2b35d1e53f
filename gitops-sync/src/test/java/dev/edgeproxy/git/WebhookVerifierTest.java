package dev.edgeproxy.git;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.git.WebhookVerifier.Forge;
import dev.edgeproxy.git.WebhookVerifier.Result;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class WebhookVerifierTest {
  static final String SECRET = "It's a Secret to Everybody";
  // GitHub's documented example: this body, this secret → this signature
  static final byte[] BODY = "Hello, World!".getBytes(StandardCharsets.UTF_8);
  static final String GITHUB_DOC_SIGNATURE =
      "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

  static String hmacHex(String secret, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return HexFormat.of().formatHex(mac.doFinal(body));
  }

  static void assertInvalid(Result r, String secret) {
    assertThat(r.valid()).isFalse();
    assertThat(r.reason()).isNotBlank();
    if (secret != null && !secret.isEmpty()) {
      assertThat(r.reason()).doesNotContain(secret);
    }
  }

  @Test
  void githubDocumentedExample() {
    Result r =
        WebhookVerifier.verify(
            Map.of("X-Hub-Signature-256", "sha256=" + GITHUB_DOC_SIGNATURE), BODY, SECRET);
    assertThat(r.valid()).isTrue();
    assertThat(r.forge()).contains(Forge.GITHUB);
  }

  @Test
  void headerNamesAreCaseInsensitive() throws Exception {
    Result r =
        WebhookVerifier.verify(
            Map.of("x-hub-signature-256", "sha256=" + hmacHex(SECRET, BODY)), BODY, SECRET);
    assertThat(r.valid()).isTrue();
    Result gitea =
        WebhookVerifier.verify(Map.of("X-GITEA-SIGNATURE", hmacHex(SECRET, BODY)), BODY, SECRET);
    assertThat(gitea.valid()).isTrue();
  }

  @Test
  void githubBadSignatures() throws Exception {
    String good = hmacHex(SECRET, BODY);
    assertInvalid(
        WebhookVerifier.verify(Map.of("X-Hub-Signature-256", "sha256=" + good), BODY, "other"),
        SECRET);
    byte[] tampered = "Hello, World?".getBytes(StandardCharsets.UTF_8);
    Result t =
        WebhookVerifier.verify(Map.of("X-Hub-Signature-256", "sha256=" + good), tampered, SECRET);
    assertInvalid(t, SECRET);
    assertThat(t.forge()).contains(Forge.GITHUB);
    assertInvalid(WebhookVerifier.verify(Map.of("X-Hub-Signature-256", good), BODY, SECRET), SECRET);
    assertInvalid(
        WebhookVerifier.verify(Map.of("X-Hub-Signature-256", "sha256=zz" + good.substring(2)), BODY, SECRET),
        SECRET);
    assertInvalid(
        WebhookVerifier.verify(Map.of("X-Hub-Signature-256", "sha256=" + good.substring(4)), BODY, SECRET),
        SECRET);
    assertInvalid(WebhookVerifier.verify(Map.of("X-Hub-Signature-256", ""), BODY, SECRET), SECRET);
  }

  @Test
  void giteaAndForgejo() throws Exception {
    String good = hmacHex(SECRET, BODY);
    Result gitea = WebhookVerifier.verify(Map.of("X-Gitea-Signature", good), BODY, SECRET);
    assertThat(gitea.valid()).isTrue();
    assertThat(gitea.forge()).contains(Forge.GITEA);

    Result forgejo = WebhookVerifier.verify(Map.of("X-Forgejo-Signature", good), BODY, SECRET);
    assertThat(forgejo.valid()).isTrue();
    assertThat(forgejo.forge()).contains(Forge.FORGEJO);

    // Forgejo sends all three; the upper-case hex variant is accepted too
    Result all =
        WebhookVerifier.verify(
            Map.of(
                "X-Forgejo-Signature", good.toUpperCase(),
                "X-Gitea-Signature", good,
                "X-Hub-Signature-256", "sha256=" + good),
            BODY,
            SECRET);
    assertThat(all.valid()).isTrue();
    assertThat(all.forge()).contains(Forge.FORGEJO);

    assertInvalid(WebhookVerifier.verify(Map.of("X-Gitea-Signature", good), BODY, "wrong"), SECRET);
    assertInvalid(
        WebhookVerifier.verify(
            Map.of("X-Forgejo-Signature", good), "tampered".getBytes(StandardCharsets.UTF_8), SECRET),
        SECRET);
    assertInvalid(
        WebhookVerifier.verify(Map.of("X-Gitea-Signature", "sha256=" + good), BODY, SECRET), SECRET);
  }

  @Test
  void gitlabSharedToken() {
    Result r = WebhookVerifier.verify(Map.of("X-Gitlab-Token", SECRET), BODY, SECRET);
    assertThat(r.valid()).isTrue();
    assertThat(r.forge()).contains(Forge.GITLAB);
    // the body is not signed: any body with the right token is accepted
    assertThat(WebhookVerifier.verify(Map.of("X-Gitlab-Token", SECRET), new byte[0], SECRET).valid())
        .isTrue();

    Result wrong = WebhookVerifier.verify(Map.of("X-Gitlab-Token", SECRET + "x"), BODY, SECRET);
    assertInvalid(wrong, SECRET);
    assertThat(wrong.forge()).contains(Forge.GITLAB);
    assertInvalid(WebhookVerifier.verify(Map.of("X-Gitlab-Token", ""), BODY, SECRET), SECRET);
    // an HMAC in the GitLab header is not the token
    assertInvalid(
        WebhookVerifier.verify(Map.of("X-Gitlab-Token", GITHUB_DOC_SIGNATURE), BODY, SECRET), SECRET);
  }

  @Test
  void missingSignatureIsInvalid() {
    Result r = WebhookVerifier.verify(Map.of("Content-Type", "application/json"), BODY, SECRET);
    assertInvalid(r, SECRET);
    assertThat(r.forge()).isEmpty();
    assertInvalid(WebhookVerifier.verify(Map.of(), BODY, SECRET), SECRET);
    assertInvalid(WebhookVerifier.verify(null, null, SECRET), SECRET);
  }

  @Test
  void missingSecretIsAlwaysInvalid() throws Exception {
    String anyHmac = hmacHex("x", BODY);
    for (String secret : new String[] {null, ""}) {
      assertInvalid(
          WebhookVerifier.verify(Map.of("X-Hub-Signature-256", "sha256=" + anyHmac), BODY, secret),
          secret);
      assertInvalid(WebhookVerifier.verify(Map.of("X-Gitea-Signature", anyHmac), BODY, secret), secret);
      assertInvalid(WebhookVerifier.verify(Map.of("X-Gitlab-Token", ""), BODY, secret), secret);
      assertThat(WebhookVerifier.verify(Map.of("X-Gitlab-Token", ""), BODY, secret).forge())
          .isEqualTo(Optional.empty());
    }
  }

  @Test
  void aHeadCarriesASignatureOnlyWithOneOfTheForgeHeaders() {
    for (String header : new String[] {"X-Hub-Signature-256", "X-Gitea-Signature", "X-Forgejo-Signature", "X-Gitlab-Token"}) {
      assertThat(WebhookVerifier.carriesSignature(header::equals)).as(header).isTrue();
    }
    assertThat(WebhookVerifier.carriesSignature(h -> h.equals("X-Hub-Signature"))).isFalse(); // SHA-1, not checked
    assertThat(WebhookVerifier.carriesSignature(h -> false)).isFalse();
  }
}
