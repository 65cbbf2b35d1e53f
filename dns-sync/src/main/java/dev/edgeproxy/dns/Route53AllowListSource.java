package dev.edgeproxy.dns;

import dev.edgeproxy.allowlist.AllowListSource;
import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.InvalidHostNameException;
import dev.edgeproxy.allowlist.Provenance;
import dev.edgeproxy.allowlist.SourceEntry;
import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.api.BackoffStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.Route53ClientBuilder;
import software.amazon.awssdk.services.route53.model.HostedZone;
import software.amazon.awssdk.services.route53.model.ListHostedZonesByNameResponse;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;
import software.amazon.awssdk.utils.SdkAutoCloseable;

/**
 * Route53 records that point at this entrance node ({@code allowlist.route53}). Each {@link
 * #fetch()} lists every record set of every configured zone and returns one allow entry per record
 * set that points here; any failure fails the whole fetch, never a partial list.
 *
 * <p>Provenance refs are {@code <zone id> <record name as Route53 gives it> <type>}, plus {@code
 * id=<SetIdentifier>} for weighted, latency, failover... sets. The revision is {@code "N records in
 * M zones"}; the record count is also {@code allow().size()}.
 *
 * <p>Throttling, 5xx answers, timeouts and refused connections are retried inside one fetch by the
 * SDK's standard retry strategy (exponential backoff, {@link Route53SourceSettings#maxAttempts()}).
 */
public final class Route53AllowListSource implements AllowListSource, AutoCloseable {
  /** The source name used in provenance, metrics and {@code /status}. */
  public static final String NAME = "route53";

  private static final Logger LOG = LoggerFactory.getLogger(Route53AllowListSource.class);
  static final Duration DEFAULT_RETRY_BASE_DELAY = Duration.ofMillis(100);
  private static final Duration MAX_RETRY_DELAY = Duration.ofSeconds(20);
  private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Pattern ZONE_ID = Pattern.compile("Z[A-Z0-9]+");
  private static final String ZONE_ID_PREFIX = "/hostedzone/";

  private final Route53SourceSettings settings;
  private final PointingAt pointingAt;
  private final AwsCredentialsProvider credentials;
  private final boolean ownsCredentials;
  private final Route53Bounds bounds;
  private final SdkHttpClient httpClient;
  private final Route53Client client;

  /** Names already warned about, so a 5-minute interval does not repeat the same warning. */
  private final Set<String> warnedNames = ConcurrentHashMap.newKeySet();

  /** Uses the AWS default credentials chain (instance profile, environment, profile files). */
  public Route53AllowListSource(Route53SourceSettings settings) {
    this(
        settings,
        DefaultCredentialsProvider.builder().build(),
        true,
        DEFAULT_RETRY_BASE_DELAY,
        Route53Bounds.DEFAULT);
  }

  /** Uses the given credentials (static keys for {@code --dry-run} or tests). */
  public Route53AllowListSource(
      Route53SourceSettings settings, AwsCredentialsProvider credentials) {
    this(settings, credentials, false, DEFAULT_RETRY_BASE_DELAY, Route53Bounds.DEFAULT);
  }

  /** For tests: a tiny retry base delay keeps retry tests fast. */
  Route53AllowListSource(
      Route53SourceSettings settings, AwsCredentialsProvider credentials, Duration retryBaseDelay) {
    this(settings, credentials, false, retryBaseDelay, Route53Bounds.DEFAULT);
  }

  /** For tests: other bounds. */
  Route53AllowListSource(
      Route53SourceSettings settings,
      AwsCredentialsProvider credentials,
      Duration retryBaseDelay,
      Route53Bounds bounds) {
    this(settings, credentials, false, retryBaseDelay, bounds);
  }

  private Route53AllowListSource(
      Route53SourceSettings settings,
      AwsCredentialsProvider credentials,
      boolean ownsCredentials,
      Duration retryBaseDelay,
      Route53Bounds bounds) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.credentials = Objects.requireNonNull(credentials, "credentials");
    this.ownsCredentials = ownsCredentials;
    this.bounds = Objects.requireNonNull(bounds, "bounds");
    this.pointingAt = PointingAt.parse(settings.pointingAt());
    Duration timeout = settings.apiCallTimeout();
    this.httpClient =
        new CappedHttpClient(
            UrlConnectionHttpClient.builder()
                .connectionTimeout(
                    timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT)
                .socketTimeout(timeout)
                .build(),
            bounds.maxResponseBytes());
    this.client = buildClient(settings, credentials, retryBaseDelay, httpClient);
  }

  public static Route53AllowListSource create(
      Route53SourceSettings settings, AwsCredentialsProvider credentials) {
    return new Route53AllowListSource(settings, credentials);
  }

  private static Route53Client buildClient(
      Route53SourceSettings settings,
      AwsCredentialsProvider credentials,
      Duration baseDelay,
      SdkHttpClient httpClient) {
    Duration timeout = settings.apiCallTimeout();
    // Route53 is rate limited per account (5 requests/s): throttling backs off longer than errors.
    RetryStrategy retry =
        AwsRetryStrategy.standardRetryStrategy().toBuilder()
            .maxAttempts(settings.maxAttempts())
            .backoffStrategy(BackoffStrategy.exponentialDelay(baseDelay, MAX_RETRY_DELAY))
            .throttlingBackoffStrategy(
                BackoffStrategy.exponentialDelay(baseDelay.multipliedBy(5), MAX_RETRY_DELAY))
            // A source polled every few minutes gains nothing from a retry quota shared across
            // calls; it would only make retries stop after a long outage.
            .circuitBreakerEnabled(false)
            .build();
    Route53ClientBuilder builder =
        Route53Client.builder()
            .region(Region.of(settings.region()))
            .credentialsProvider(credentials)
            // Set explicitly: the SDK's default client (Apache 5) is excluded from the build.
            .httpClient(httpClient)
            .overrideConfiguration(o -> o.apiCallTimeout(timeout).retryStrategy(retry));
    settings.endpoint().ifPresent(builder::endpointOverride);
    return builder.build();
  }

  @Override
  public String name() {
    return NAME;
  }

  public Route53SourceSettings settings() {
    return settings;
  }

  @Override
  public SourceList fetch() throws SourceException {
    checkCredentials();
    FetchBudget budget = new FetchBudget(settings.apiCallTimeout(), bounds);
    Map<String, String> zones = new LinkedHashMap<>(); // zone id -> how it was configured
    for (String configured : settings.hostedZones()) {
      String id = resolveZone(configured, budget);
      zones.putIfAbsent(id, configured);
    }
    List<SourceEntry> entries = new ArrayList<>();
    for (String zoneId : zones.keySet()) {
      entries.addAll(listZone(zoneId, budget));
    }
    entries.sort(
        Comparator.comparing((SourceEntry e) -> e.pattern().toString())
            .thenComparing(e -> e.provenance().ref()));
    String revision = plural(entries.size(), "record") + " in " + plural(zones.size(), "zone");
    LOG.debug("route53: {}", revision);
    return SourceList.allowOnly(NAME, revision, entries);
  }

  /** Fails early, with a hint, instead of an SDK message listing every provider tried. */
  private void checkCredentials() throws SourceException {
    try {
      credentials.resolveCredentials();
    } catch (RuntimeException e) {
      throw new SourceException(
          "route53: no AWS credentials: give the node an instance profile (EC2) or task role,"
              + " or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the system properties"
              + " aws.accessKeyId and aws.secretAccessKey), or a profile in ~/.aws/credentials"
              + " selected by AWS_PROFILE",
          e);
    }
  }

  /** The bare zone id for a configured id or name. */
  private String resolveZone(String configured, FetchBudget budget) throws SourceException {
    String text = configured.strip();
    if (text.startsWith(ZONE_ID_PREFIX)) {
      return text.substring(ZONE_ID_PREFIX.length());
    }
    if (ZONE_ID.matcher(text).matches()) {
      return text;
    }
    return resolveZoneName(configured, budget);
  }

  private String resolveZoneName(String configured, FetchBudget budget) throws SourceException {
    String wanted = Route53Names.canonical(configured);
    String dnsName = wanted + ".";
    List<HostedZone> publicZones = new ArrayList<>();
    List<HostedZone> privateZones = new ArrayList<>();
    String nextName = dnsName;
    String nextId = null;
    String what = "looking up hosted zone '" + configured + "'";
    Set<List<String>> tokensSeen = new HashSet<>();
    try {
      for (int page = 0; ; page++) {
        if (page == bounds.maxPagesPerZone()) {
          throw new SourceException(
              "route53: " + what + ": more than " + bounds.maxPagesPerZone() + " pages");
        }
        String startName = nextName;
        String startId = nextId;
        Duration left = budget.nextCall(what);
        ListHostedZonesByNameResponse response =
            client.listHostedZonesByName(
                b ->
                    b.dnsName(startName)
                        .hostedZoneId(startId)
                        .overrideConfiguration(o -> o.apiCallTimeout(left)));
        if (!response.hasHostedZones() || response.isTruncated() == null) {
          throw new SourceException(
              "route53: "
                  + what
                  + ": the answer has no <HostedZones> or <IsTruncated>: not a"
                  + " ListHostedZonesByName answer (an error document, an empty or HTML body?)");
        }
        boolean past = false;
        for (HostedZone zone : response.hostedZones()) {
          if (!Route53Names.canonical(zone.name()).equals(wanted)) {
            past = true; // the answer is sorted by name: no later zone can match
            break;
          }
          boolean isPrivate =
              zone.config() != null && Boolean.TRUE.equals(zone.config().privateZone());
          (isPrivate ? privateZones : publicZones).add(zone);
        }
        if (past || !Boolean.TRUE.equals(response.isTruncated())) {
          break;
        }
        List<String> next =
            List.of(
                String.valueOf(response.nextDNSName()), String.valueOf(response.nextHostedZoneId()));
        if (response.nextDNSName() == null || !tokensSeen.add(next)) {
          throw new SourceException("route53: " + what + ": the API repeated a page");
        }
        nextName = response.nextDNSName();
        nextId = response.nextHostedZoneId();
      }
    } catch (SdkException e) {
      throw new SourceException(
          "route53: looking up hosted zone '" + configured + "' failed: " + SdkErrors.describe(e, settings), e);
    }
    if (publicZones.isEmpty()) {
      String hint =
          privateZones.isEmpty()
              ? ""
              : " (only private zones have that name: name one by its id, e.g. "
                  + bareId(privateZones.get(0).id())
                  + ", to read it)";
      throw new SourceException("route53: no public hosted zone named '" + configured + "'" + hint);
    }
    if (publicZones.size() > 1) {
      List<String> ids = publicZones.stream().map(z -> bareId(z.id())).toList();
      throw new SourceException(
          "route53: "
              + publicZones.size()
              + " public hosted zones are named '"
              + configured
              + "' ("
              + String.join(", ", ids)
              + "): name the delegated one by its id");
    }
    String id = bareId(publicZones.get(0).id());
    LOG.debug("route53: zone '{}' is {}", configured, id);
    return id;
  }

  private List<SourceEntry> listZone(String zoneId, FetchBudget budget) throws SourceException {
    ZoneListing.Result listing;
    try {
      listing = ZoneListing.list(client, zoneId, pointingAt, budget);
    } catch (SdkException e) {
      throw new SourceException(
          "route53: listing records of zone " + zoneId + " failed: " + SdkErrors.describe(e, settings), e);
    }
    List<SourceEntry> entries = new ArrayList<>();
    for (ResourceRecordSet set : listing.pointingHere()) {
      toEntry(zoneId, listing.apex(), set, entries);
    }
    LOG.debug(
        "route53: zone {} ({}): {} record sets in {} pages, {} point here",
        zoneId,
        listing.apex(),
        listing.recordSets(),
        listing.pages(),
        entries.size());
    return entries;
  }

  private void toEntry(String zoneId, String apex, ResourceRecordSet set, List<SourceEntry> into) {
    StringBuilder ref =
        new StringBuilder(zoneId)
            .append(' ')
            .append(set.name())
            .append(' ')
            .append(set.typeAsString());
    if (set.setIdentifier() != null) {
      ref.append(" id=").append(set.setIdentifier());
    }
    if (!Route53Names.isWithin(Route53Names.canonical(set.name()), apex)) {
      // Route53 itself refuses such records; an answer holding one is not to be trusted with it.
      warnOnce(set.name(), "skipping record " + ref + ": outside the zone " + apex);
      return;
    }
    HostPattern pattern;
    try {
      pattern = Route53Names.toPattern(set.name());
    } catch (InvalidHostNameException e) {
      // Not an error: such a record can never match an SNI, and the rest of the zone is fine.
      warnOnce(set.name(), "skipping record " + ref + ": " + e.getMessage());
      return;
    }
    into.add(new SourceEntry(pattern, new Provenance(NAME, ref.toString())));
  }

  /** Warns once per record name: a 5-minute interval must not repeat the same warning. */
  private void warnOnce(String name, String message) {
    if (warnedNames.add(name)) {
      LOG.warn("route53: {}", message);
    } else {
      LOG.debug("route53: {}", message);
    }
  }

  private static String bareId(String id) {
    int slash = id.lastIndexOf('/');
    return slash < 0 ? id : id.substring(slash + 1);
  }

  private static String plural(int n, String word) {
    return n + " " + word + (n == 1 ? "" : "s");
  }

  @Override
  public void close() {
    client.close();
    httpClient.close(); // given to the builder, so not closed by the client
    if (ownsCredentials && credentials instanceof SdkAutoCloseable closeable) {
      closeable.close();
    }
  }
}
