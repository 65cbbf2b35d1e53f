package dev.edgeproxy.dns;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the Route53 source reads ({@code allowlist.route53} in edge-proxy.yaml).
 *
 * @param hostedZones zone ids ({@code Z0123456789ABCDEFGHIJ}, optionally {@code /hostedzone/Z...})
 *     or zone names ({@code example.org.}); a private zone is only read when named by id
 * @param pointingAt this entrance node's IPv4/IPv6 addresses and DNS names
 * @param region the AWS region the client signs for ({@code us-east-1} for the global endpoint)
 * @param endpoint an API endpoint override (tests, LocalStack); empty for AWS itself
 * @param apiCallTimeout the total deadline of one fetch: every zone, page and retry together
 *     ({@code allowlist.route53.timeout}); each API call gets the time left as its SDK API call
 *     timeout
 * @param maxAttempts attempts per API call, the first included (1 = no retry)
 */
public record Route53SourceSettings(
    List<String> hostedZones,
    List<String> pointingAt,
    String region,
    Optional<URI> endpoint,
    Duration apiCallTimeout,
    int maxAttempts) {
  public static final String DEFAULT_REGION = "us-east-1";
  public static final Duration DEFAULT_API_CALL_TIMEOUT = Duration.ofSeconds(60);
  public static final int DEFAULT_MAX_ATTEMPTS = 5;
  static final int MAX_MAX_ATTEMPTS = 20;

  /**
   * @throws IllegalArgumentException when a value is missing or out of range, with a message fit
   *     for a config validation error
   */
  public Route53SourceSettings {
    Objects.requireNonNull(hostedZones, "hostedZones");
    Objects.requireNonNull(pointingAt, "pointingAt");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(apiCallTimeout, "apiCallTimeout");
    hostedZones = hostedZones.stream().map(z -> z == null ? "" : z.strip()).toList();
    pointingAt = pointingAt.stream().map(p -> p == null ? "" : p.strip()).toList();
    if (hostedZones.isEmpty()) {
      throw new IllegalArgumentException("route53.hostedZones: at least one zone id or name");
    }
    for (String zone : hostedZones) {
      if (zone.isEmpty()) {
        throw new IllegalArgumentException("route53.hostedZones: empty zone");
      }
    }
    if (pointingAt.isEmpty()) {
      throw new IllegalArgumentException("route53.pointingAt: at least one address or name");
    }
    PointingAt.parse(pointingAt); // fails early on a value that is neither address nor name
    if (region == null || region.isBlank()) {
      throw new IllegalArgumentException("route53.region: missing");
    }
    region = region.strip();
    endpoint.ifPresent(Route53SourceSettings::checkEndpoint);
    if (apiCallTimeout.isNegative() || apiCallTimeout.isZero()) {
      throw new IllegalArgumentException("route53: apiCallTimeout must be positive");
    }
    if (maxAttempts < 1 || maxAttempts > MAX_MAX_ATTEMPTS) {
      throw new IllegalArgumentException(
          "route53: maxAttempts must be between 1 and " + MAX_MAX_ATTEMPTS);
    }
  }

  /**
   * Settings with the default timeout (60 s) and attempts (5); a null or blank region
   * means {@code us-east-1}, a null endpoint means AWS itself.
   */
  public static Route53SourceSettings of(
      List<String> hostedZones, List<String> pointingAt, String region, Optional<URI> endpoint) {
    return new Route53SourceSettings(
        hostedZones,
        pointingAt,
        region == null || region.isBlank() ? DEFAULT_REGION : region,
        endpoint == null ? Optional.empty() : endpoint,
        DEFAULT_API_CALL_TIMEOUT,
        DEFAULT_MAX_ATTEMPTS);
  }

  public Route53SourceSettings withApiCallTimeout(Duration timeout) {
    return new Route53SourceSettings(
        hostedZones, pointingAt, region, endpoint, timeout, maxAttempts);
  }

  public Route53SourceSettings withMaxAttempts(int attempts) {
    return new Route53SourceSettings(
        hostedZones, pointingAt, region, endpoint, apiCallTimeout, attempts);
  }

  private static void checkEndpoint(URI uri) {
    String scheme = uri.getScheme();
    if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
      throw new IllegalArgumentException(
          "route53.endpoint: '" + uri + "' must be an http:// or https:// URL");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("route53.endpoint: '" + uri + "' has no host");
    }
  }
}
