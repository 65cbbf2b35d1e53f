package dev.edgeproxy.git;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks that a {@code POST /hooks/git} request comes from the forge that knows the webhook
 * secret. GitHub signs the raw body with HMAC-SHA256 in {@code X-Hub-Signature-256: sha256=<hex>};
 * Gitea and Forgejo put the bare hex HMAC-SHA256 in {@code X-Gitea-Signature} (Forgejo also in
 * {@code X-Forgejo-Signature}); GitLab sends the secret itself in {@code X-Gitlab-Token} (a shared
 * token, not an HMAC). Every comparison is constant-time. Reasons never contain the secret.
 */
public final class WebhookVerifier {
  /** The forge whose signature scheme was verified. */
  public enum Forge {
    GITHUB,
    GITEA,
    FORGEJO,
    GITLAB
  }

  /**
   * The verdict.
   *
   * @param valid the request carries a correct signature or token
   * @param forge which forge's header was checked, when one was present
   * @param reason for logs: what was verified, or why not
   */
  public record Result(boolean valid, Optional<Forge> forge, String reason) {
    public Result {
      Objects.requireNonNull(forge, "forge");
      Objects.requireNonNull(reason, "reason");
    }

    static Result ok(Forge forge) {
      return new Result(true, Optional.of(forge), "valid " + forge.name().toLowerCase(java.util.Locale.ROOT) + " signature");
    }

    static Result invalid(Forge forge, String reason) {
      return new Result(false, Optional.ofNullable(forge), reason);
    }
  }

  static final String GITHUB_HEADER = "X-Hub-Signature-256";
  static final String FORGEJO_HEADER = "X-Forgejo-Signature";
  static final String GITEA_HEADER = "X-Gitea-Signature";
  static final String GITLAB_HEADER = "X-Gitlab-Token";
  private static final String GITHUB_PREFIX = "sha256=";
  private static final int SHA256_BYTES = 32;

  private WebhookVerifier() {}

  /**
   * Verifies one request. When several signature headers are present (Forgejo sends its own, the
   * Gitea one and GitHub's), the first of Forgejo, Gitea, GitHub, GitLab is the one checked.
   *
   * @param headers request headers; names are looked up case-insensitively
   * @param body the raw request body, exactly as received
   * @param secret the configured webhook secret; null or empty makes every request invalid
   */
  public static Result verify(Map<String, String> headers, byte[] body, String secret) {
    if (secret == null || secret.isEmpty()) {
      return Result.invalid(null, "no webhook secret is configured");
    }
    Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    if (headers != null) {
      headers.forEach(
          (k, v) -> {
            if (k != null && v != null) {
              h.putIfAbsent(k, v);
            }
          });
    }
    byte[] payload = body == null ? new byte[0] : body;
    if (h.containsKey(FORGEJO_HEADER)) {
      return checkHex(Forge.FORGEJO, FORGEJO_HEADER, h.get(FORGEJO_HEADER), payload, secret);
    }
    if (h.containsKey(GITEA_HEADER)) {
      return checkHex(Forge.GITEA, GITEA_HEADER, h.get(GITEA_HEADER), payload, secret);
    }
    if (h.containsKey(GITHUB_HEADER)) {
      String value = h.get(GITHUB_HEADER).strip();
      if (!value.regionMatches(true, 0, GITHUB_PREFIX, 0, GITHUB_PREFIX.length())) {
        return Result.invalid(Forge.GITHUB, GITHUB_HEADER + " does not start with sha256=");
      }
      return checkHex(
          Forge.GITHUB, GITHUB_HEADER, value.substring(GITHUB_PREFIX.length()), payload, secret);
    }
    if (h.containsKey(GITLAB_HEADER)) {
      // compare digests so that neither content nor length of the secret leaks through timing
      boolean same =
          MessageDigest.isEqual(sha256(h.get(GITLAB_HEADER)), sha256(secret));
      return same
          ? Result.ok(Forge.GITLAB)
          : Result.invalid(Forge.GITLAB, GITLAB_HEADER + " does not match the webhook secret");
    }
    return Result.invalid(
        null,
        "no signature header (expected "
            + GITHUB_HEADER
            + ", "
            + GITEA_HEADER
            + ", "
            + FORGEJO_HEADER
            + " or "
            + GITLAB_HEADER
            + ")");
  }

  /**
   * Whether a request head carries one of the forges' signature headers: the admin endpoint reads
   * a large body only for such a request (the signature itself needs the body).
   *
   * @param hasHeader answers whether a header is present, case-insensitively
   */
  public static boolean carriesSignature(Predicate<String> hasHeader) {
    return hasHeader.test(FORGEJO_HEADER)
        || hasHeader.test(GITEA_HEADER)
        || hasHeader.test(GITHUB_HEADER)
        || hasHeader.test(GITLAB_HEADER);
  }

  private static Result checkHex(
      Forge forge, String header, String hex, byte[] body, String secret) {
    byte[] given = parseHex(hex.strip());
    if (given == null || given.length != SHA256_BYTES) {
      return Result.invalid(forge, header + " is not a hex HMAC-SHA256");
    }
    byte[] expected = hmacSha256(secret, body);
    return MessageDigest.isEqual(expected, given)
        ? Result.ok(forge)
        : Result.invalid(forge, header + " does not match the body signed with the webhook secret");
  }

  static byte[] hmacSha256(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static byte[] parseHex(String hex) {
    if (hex.length() % 2 != 0) {
      return null;
    }
    byte[] out = new byte[hex.length() / 2];
    for (int i = 0; i < out.length; i++) {
      int hi = Character.digit(hex.charAt(2 * i), 16);
      int lo = Character.digit(hex.charAt(2 * i + 1), 16);
      if (hi < 0 || lo < 0) {
        return null;
      }
      out[i] = (byte) (hi << 4 | lo);
    }
    return out;
  }
}
