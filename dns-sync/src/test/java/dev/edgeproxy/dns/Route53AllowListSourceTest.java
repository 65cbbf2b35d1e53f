package dev.edgeproxy.dns;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;

import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import dev.edgeproxy.allowlist.SourceEntry;
import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;

/** The real SDK client (URLConnection) against WireMock speaking Route53's XML. */
class Route53AllowListSourceTest {
  @RegisterExtension
  static WireMockExtension wm =
      WireMockExtension.newInstance()
          .options(wireMockConfig().bindAddress("127.0.0.1").dynamicPort())
          .build();

  private static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  private static final AwsCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", SECRET));
  private static final Duration TINY_BACKOFF = Duration.ofMillis(2);
  private static final List<String> HERE =
      List.of(
          "192.0.2.10",
          "2001:db8::10",
          "entrance.example.com",
          "edge-lb-123.eu-west-1.elb.amazonaws.com");
  private static final String NS = "https://route53.amazonaws.com/doc/2013-04-01/";
  private static final String RRSET_PATH = "/2013-04-01/hostedzone/Z1EXAMPLE/rrset";

  private static final String PAGE_1 =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <ListResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
        <ResourceRecordSets>
          <ResourceRecordSet>
            <Name>example.com.</Name><Type>NS</Type><TTL>172800</TTL>
            <ResourceRecords>
              <ResourceRecord><Value>ns-1.awsdns-01.org.</Value></ResourceRecord>
              <ResourceRecord><Value>ns-2.awsdns-02.co.uk.</Value></ResourceRecord>
            </ResourceRecords>
          </ResourceRecordSet>
          <ResourceRecordSet>
            <Name>example.com.</Name><Type>SOA</Type><TTL>900</TTL>
            <ResourceRecords><ResourceRecord><Value>ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400</Value></ResourceRecord></ResourceRecords>
          </ResourceRecordSet>
          <ResourceRecordSet>
            <Name>\\052.example.com.</Name><Type>A</Type><TTL>300</TTL>
            <ResourceRecords><ResourceRecord><Value>192.0.2.10</Value></ResourceRecord></ResourceRecords>
          </ResourceRecordSet>
          <ResourceRecordSet>
            <Name>_dmarc.example.com.</Name><Type>TXT</Type><TTL>300</TTL>
            <ResourceRecords><ResourceRecord><Value>"v=DMARC1; p=none"</Value></ResourceRecord></ResourceRecords>
          </ResourceRecordSet>
          <ResourceRecordSet>
            <Name>odd\\137name.example.com.</Name><Type>A</Type><TTL>300</TTL>
            <ResourceRecords><ResourceRecord><Value>192.0.2.10</Value></ResourceRecord></ResourceRecords>
          </ResourceRecordSet>
          <ResourceRecordSet>
            <Name>my\\055host.example.com.</Name><Type>A</Type><TTL>300</TTL>
            <ResourceRecords><ResourceRecord><Value>192.0.2.10</Value></ResourceRecord></ResourceRecords>
          </ResourceRecordSet>
          <ResourceRecordSet>
            <Name>api.example.com.</Name><Type>A</Type>
            <SetIdentifier>edge-eu-1</SetIdentifier><Weight>70</Weight><TTL>60</TTL>
            <ResourceRecords><ResourceRecord><Value>192.0.2.10</Value></ResourceRecord></ResourceRecords>
            <HealthCheckId>abcdef01-2345-6789-abcd-ef0123456789</HealthCheckId>
          </ResourceRecordSet>
        </ResourceRecordSets>
        <IsTruncated>true</IsTruncated>
        <NextRecordName>api.example.com.</NextRecordName>
        <NextRecordType>A</NextRecordType>
        <NextRecordIdentifier>edge-eu-2</NextRecordIdentifier>
        <MaxItems>7</MaxItems>
      </ListResourceRecordSetsResponse>
      """;

  private static final String PAGE_2 =
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <ListResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
        <ResourceRecordSets>
          <ResourceRecordSet>
            <Name>api.example.com.</Name><Type>A</Type>
            <SetIdentifier>edge-eu-2</SetIdentifier><Weight>30</Weight><TTL>60</TTL>
            <ResourceRecords><ResourceRecord><Value>192.0.2.11</Value></ResourceRecord></ResourceRecords>
          </ResourceRecordSet>
          <ResourceRecordSet>
            <Name>eu.example.com.</Name><Type>A</Type>
            <SetIdentifier>latency/eu-west-1</SetIdentifier><Region>eu-west-1</Region>
            <AliasTarget>
              <HostedZoneId>/hostedzone/Z32O12XQLNTSW2</HostedZoneId>
              <DNSName>DUALSTACK.Edge-LB-123.eu-west-1.elb.amazonaws.com.</DNSName>
              <EvaluateTargetHealth>true</EvaluateTargetHealth>
            </AliasTarget>
          </ResourceRecordSet>
          <ResourceRecordSet>
            <Name>v6.example.com.</Name><Type>AAAA</Type><TTL>300</TTL>
            <ResourceRecords>
              <ResourceRecord><Value>2001:db8::99</Value></ResourceRecord>
              <ResourceRecord><Value>2001:0db8:0:0:0:0:0:10</Value></ResourceRecord>
            </ResourceRecords>
          </ResourceRecordSet>
          <ResourceRecordSet>
            <Name>www.example.com.</Name><Type>CNAME</Type><TTL>300</TTL>
            <ResourceRecords><ResourceRecord><Value>Entrance.Example.com.</Value></ResourceRecord></ResourceRecords>
          </ResourceRecordSet>
          <ResourceRecordSet>
            <Name>other.example.com.</Name><Type>A</Type><TTL>300</TTL>
            <ResourceRecords><ResourceRecord><Value>198.51.100.7</Value></ResourceRecord></ResourceRecords>
          </ResourceRecordSet>
          <ResourceRecordSet>
            <Name>shop.example.com.</Name><Type>CNAME</Type><TTL>300</TTL>
            <ResourceRecords><ResourceRecord><Value>shops.example.net.</Value></ResourceRecord></ResourceRecords>
          </ResourceRecordSet>
          <ResourceRecordSet>
            <Name>mail.example.com.</Name><Type>MX</Type><TTL>300</TTL>
            <ResourceRecords><ResourceRecord><Value>10 entrance.example.com.</Value></ResourceRecord></ResourceRecords>
          </ResourceRecordSet>
        </ResourceRecordSets>
        <IsTruncated>false</IsTruncated>
        <MaxItems>7</MaxItems>
      </ListResourceRecordSetsResponse>
      """;

  /** The SOA and NS record sets every zone has at its apex. */
  private static String apex(String zone) {
    return "<ResourceRecordSet><Name>"
        + zone
        + "</Name><Type>NS</Type><TTL>172800</TTL>"
        + "<ResourceRecords><ResourceRecord><Value>ns-1.awsdns-01.org.</Value></ResourceRecord>"
        + "</ResourceRecords></ResourceRecordSet>"
        + "<ResourceRecordSet><Name>"
        + zone
        + "</Name><Type>SOA</Type><TTL>900</TTL>"
        + "<ResourceRecords><ResourceRecord><Value>ns-1.awsdns-01.org. hostmaster.example.com."
        + " 1 7200 900 1209600 86400</Value></ResourceRecord></ResourceRecords>"
        + "</ResourceRecordSet>";
  }

  /** One complete page of the zone example.com.: its apex records and these. */
  private static String records(String... sets) {
    return zoneRecords("example.com.", sets);
  }

  /** One complete page of a zone: its apex records and these. */
  private static String zoneRecords(String zone, String... sets) {
    return recordsWithoutApex(apex(zone) + String.join("", sets));
  }

  private static String recordsWithoutApex(String... sets) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListResourceRecordSetsResponse xmlns=\""
        + NS
        + "\"><ResourceRecordSets>"
        + String.join("", sets)
        + "</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>300</MaxItems>"
        + "</ListResourceRecordSetsResponse>";
  }

  private static String aRecord(String name, String value) {
    return "<ResourceRecordSet><Name>"
        + name
        + "</Name><Type>A</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>"
        + value
        + "</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>";
  }

  private static String zone(String id, String name, boolean isPrivate) {
    return "<HostedZone><Id>/hostedzone/"
        + id
        + "</Id><Name>"
        + name
        + "</Name><CallerReference>ref-"
        + id
        + "</CallerReference><Config><Comment>test</Comment><PrivateZone>"
        + isPrivate
        + "</PrivateZone></Config><ResourceRecordSetCount>3</ResourceRecordSetCount></HostedZone>";
  }

  private static String zonesByName(String dnsName, String... zones) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListHostedZonesByNameResponse xmlns=\""
        + NS
        + "\"><HostedZones>"
        + String.join("", zones)
        + "</HostedZones><DNSName>"
        + dnsName
        + "</DNSName><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems>"
        + "</ListHostedZonesByNameResponse>";
  }

  private static String error(String type, String code, String message) {
    return "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\""
        + NS
        + "\"><Error><Type>"
        + type
        + "</Type><Code>"
        + code
        + "</Code><Message>"
        + message
        + "</Message></Error><RequestId>a5568810-ba11-11e5-ab6a-3b3df31c99c2</RequestId></ErrorResponse>";
  }

  private static MappingBuilder xml(MappingBuilder request, int status, String body) {
    return request.willReturn(
        aResponse().withStatus(status).withHeader("Content-Type", "text/xml").withBody(body));
  }

  private static Route53SourceSettings settings(List<String> zones) {
    return Route53SourceSettings.of(zones, HERE, "us-east-1", Optional.of(URI.create(wm.baseUrl())))
        .withMaxAttempts(3)
        .withApiCallTimeout(Duration.ofSeconds(5));
  }

  private static Route53AllowListSource source(Route53SourceSettings settings) {
    return new Route53AllowListSource(settings, CREDENTIALS, TINY_BACKOFF);
  }

  private static SourceList fetch(Route53SourceSettings settings) throws SourceException {
    try (Route53AllowListSource source = source(settings)) {
      return source.fetch();
    }
  }

  private static SourceException fetchFails(Route53SourceSettings settings) {
    try (Route53AllowListSource source = source(settings)) {
      Throwable thrown = catchThrowable(source::fetch);
      assertThat(thrown).isInstanceOf(SourceException.class);
      assertThat(thrown.getMessage()).doesNotContain(SECRET);
      return (SourceException) thrown;
    }
  }

  private static void stubTwoPages() {
    wm.stubFor(xml(get(urlPathEqualTo(RRSET_PATH)).withQueryParam("name", absent()), 200, PAGE_1));
    wm.stubFor(
        xml(
            get(urlPathEqualTo(RRSET_PATH))
                .withQueryParam("name", equalTo("api.example.com."))
                .withQueryParam("type", equalTo("A"))
                .withQueryParam("identifier", equalTo("edge-eu-2")),
            200,
            PAGE_2));
  }

  @Test
  void listsEveryPageAndKeepsTheRecordsPointingHere() throws Exception {
    stubTwoPages();

    SourceList list = fetch(settings(List.of("Z1EXAMPLE")));

    assertThat(list.source()).isEqualTo("route53");
    assertThat(list.deny()).isEmpty();
    assertThat(list.routes()).isEmpty();
    assertThat(list.allow())
        .extracting(
            e -> e.pattern().toString(), e -> e.provenance().source(), e -> e.provenance().ref())
        .containsExactly(
            tuple("*.example.com", "route53", "Z1EXAMPLE \\052.example.com. A"),
            tuple("api.example.com", "route53", "Z1EXAMPLE api.example.com. A id=edge-eu-1"),
            // the SDK strips everything up to the last '/' of a SetIdentifier (latency/eu-west-1)
            tuple("eu.example.com", "route53", "Z1EXAMPLE eu.example.com. A id=eu-west-1"),
            tuple("my-host.example.com", "route53", "Z1EXAMPLE my\\055host.example.com. A"),
            tuple("v6.example.com", "route53", "Z1EXAMPLE v6.example.com. AAAA"),
            tuple("www.example.com", "route53", "Z1EXAMPLE www.example.com. CNAME"));
    assertThat(list.allow().get(0).pattern().isWildcard()).isTrue();
    assertThat(list.revision()).isEqualTo("6 records in 1 zone");

    wm.verify(1, getRequestedFor(urlPathEqualTo(RRSET_PATH)).withQueryParam("name", absent()));
    wm.verify(
        1,
        getRequestedFor(urlPathEqualTo(RRSET_PATH))
            .withQueryParam("name", equalTo("api.example.com."))
            .withQueryParam("type", equalTo("A"))
            .withQueryParam("identifier", equalTo("edge-eu-2"))
            .withHeader("Authorization", containing("Credential=AKIDEXAMPLE/")));
    assertThat(wm.getAllServeEvents()).hasSize(2);
  }

  @Test
  void zoneByNameUsesThePublicZoneAndSkipsThePrivateOne() throws Exception {
    wm.stubFor(
        xml(
            get(urlPathEqualTo("/2013-04-01/hostedzonesbyname"))
                .withQueryParam("dnsname", equalTo("example.org.")),
            200,
            zonesByName(
                "example.org.",
                zone("Z2PRIVATE", "example.org.", true),
                zone("Z2PUBLIC", "Example.ORG.", false),
                zone("Z2SHOP", "shop.example.org.", false))));
    wm.stubFor(
        xml(
            get(urlPathEqualTo("/2013-04-01/hostedzone/Z2PUBLIC/rrset")),
            200,
            zoneRecords(
                "example.org.",
                aRecord("grafana.example.org.", "192.0.2.10"),
                aRecord("x.example.org.", "192.0.2.99"))));

    SourceList list = fetch(settings(List.of("Example.org")));

    assertThat(list.allow())
        .extracting(e -> e.pattern().toString(), e -> e.provenance().ref())
        .containsExactly(tuple("grafana.example.org", "Z2PUBLIC grafana.example.org. A"));
    assertThat(list.revision()).isEqualTo("1 record in 1 zone");
    wm.verify(0, getRequestedFor(urlPathMatching(".*/Z2PRIVATE/.*")));
    wm.verify(0, getRequestedFor(urlPathMatching(".*/Z2SHOP/.*")));
  }

  @Test
  void privateZoneNamedByIdIsRead() throws Exception {
    wm.stubFor(
        xml(
            get(urlPathEqualTo("/2013-04-01/hostedzone/Z3PRIVATE/rrset")),
            200,
            zoneRecords("internal.example.", aRecord("internal.example.", "192.0.2.10"))));

    SourceList list = fetch(settings(List.of("/hostedzone/Z3PRIVATE")));

    assertThat(list.allow())
        .extracting(e -> e.pattern().toString(), e -> e.provenance().ref())
        .containsExactly(tuple("internal.example", "Z3PRIVATE internal.example. A"));
    wm.verify(0, getRequestedFor(urlPathEqualTo("/2013-04-01/hostedzonesbyname")));
  }

  @Test
  void zoneNameWithOnlyAPrivateZoneFails() {
    wm.stubFor(
        xml(
            get(urlPathEqualTo("/2013-04-01/hostedzonesbyname")),
            200,
            zonesByName("internal.example.", zone("Z3PRIVATE", "internal.example.", true))));

    SourceException e = fetchFails(settings(List.of("internal.example.")));

    assertThat(e.getMessage())
        .contains("no public hosted zone named 'internal.example.'")
        .contains("private")
        .contains("Z3PRIVATE");
  }

  @Test
  void unknownZoneNameFails() {
    wm.stubFor(
        xml(
            get(urlPathEqualTo("/2013-04-01/hostedzonesbyname")),
            200,
            zonesByName("missing.example.", zone("Z9OTHER", "zzz.example.", false))));

    SourceException e = fetchFails(settings(List.of("missing.example")));

    assertThat(e.getMessage()).contains("no public hosted zone named 'missing.example'");
  }

  @Test
  void twoPublicZonesWithTheSameNameAreAmbiguous() {
    wm.stubFor(
        xml(
            get(urlPathEqualTo("/2013-04-01/hostedzonesbyname")),
            200,
            zonesByName(
                "example.org.",
                zone("Z2ONE", "example.org.", false),
                zone("Z2TWO", "example.org.", false))));

    SourceException e = fetchFails(settings(List.of("example.org.")));

    assertThat(e.getMessage()).contains("Z2ONE").contains("Z2TWO").contains("by its id");
  }

  @Test
  void throttlingIsRetriedWithinOneFetch() throws Exception {
    String rrset = "/2013-04-01/hostedzone/Z1EXAMPLE/rrset";
    wm.stubFor(
        xml(get(urlPathEqualTo(rrset)), 400, error("Sender", "Throttling", "Rate exceeded"))
            .inScenario("throttle")
            .whenScenarioStateIs(Scenario.STARTED)
            .willSetStateTo("second"));
    wm.stubFor(
        xml(
                get(urlPathEqualTo(rrset)),
                400,
                error("Sender", "PriorRequestNotComplete", "The request was rejected"))
            .inScenario("throttle")
            .whenScenarioStateIs("second")
            .willSetStateTo("ok"));
    wm.stubFor(
        xml(get(urlPathEqualTo(rrset)), 200, records(aRecord("api.example.com.", "192.0.2.10")))
            .inScenario("throttle")
            .whenScenarioStateIs("ok"));

    SourceList list = fetch(settings(List.of("Z1EXAMPLE")));

    assertThat(list.allow())
        .extracting(e -> e.pattern().toString())
        .containsExactly("api.example.com");
    wm.verify(3, getRequestedFor(urlPathEqualTo(rrset)));
  }

  @Test
  void persistentServerErrorsFailAfterBoundedRetries() {
    wm.stubFor(
        xml(
            get(urlPathEqualTo(RRSET_PATH)),
            500,
            error("Receiver", "InternalFailure", "Internal error")));

    SourceException e = fetchFails(settings(List.of("Z1EXAMPLE")));

    assertThat(e.getMessage())
        .contains("zone Z1EXAMPLE")
        .contains("HTTP 500 InternalFailure")
        .contains("after 3 attempts");
    wm.verify(3, getRequestedFor(urlPathEqualTo(RRSET_PATH)));
  }

  @Test
  void persistentThrottlingFailsWithTheErrorCode() {
    wm.stubFor(
        xml(get(urlPathEqualTo(RRSET_PATH)), 400, error("Sender", "Throttling", "Rate exceeded")));

    SourceException e = fetchFails(settings(List.of("Z1EXAMPLE")).withMaxAttempts(2));

    assertThat(e.getMessage())
        .contains("zone Z1EXAMPLE")
        .contains("HTTP 400 Throttling: Rate exceeded")
        .contains("after 2 attempts");
    wm.verify(2, getRequestedFor(urlPathEqualTo(RRSET_PATH)));
  }

  @Test
  void aServerRepeatingTheSamePageIsStopped() {
    wm.stubFor(xml(get(urlPathEqualTo(RRSET_PATH)), 200, PAGE_1));

    SourceException e = fetchFails(settings(List.of("Z1EXAMPLE")));

    assertThat(e.getMessage()).contains("zone Z1EXAMPLE").contains("repeated a page");
    assertThat(wm.getAllServeEvents()).hasSize(2);
  }

  @Test
  void oneFailingZoneFailsTheWholeFetch() {
    wm.stubFor(
        xml(
            get(urlPathEqualTo(RRSET_PATH)),
            200,
            records(aRecord("api.example.com.", "192.0.2.10"))));
    wm.stubFor(
        xml(
            get(urlPathEqualTo("/2013-04-01/hostedzone/Z4MISSING/rrset")),
            404,
            error("Sender", "NoSuchHostedZone", "No hosted zone found with ID: Z4MISSING")));

    SourceException e = fetchFails(settings(List.of("Z1EXAMPLE", "Z4MISSING")));

    assertThat(e.getMessage()).contains("zone Z4MISSING").contains("HTTP 404 NoSuchHostedZone");
    // a client error is not retried
    wm.verify(1, getRequestedFor(urlPathEqualTo("/2013-04-01/hostedzone/Z4MISSING/rrset")));
  }

  @Test
  void malformedXmlFails() {
    wm.stubFor(
        xml(
            get(urlPathEqualTo(RRSET_PATH)),
            200,
            "<?xml version=\"1.0\"?><ListResourceRecordSetsResponse><ResourceRecordSets>"
                + "<ResourceRecordSet><Name>broken"));

    SourceException e = fetchFails(settings(List.of("Z1EXAMPLE")));

    assertThat(e.getMessage()).startsWith("route53: listing records of zone Z1EXAMPLE failed");
  }

  @Test
  void slowAnswerBeyondTheApiCallTimeoutFails() {
    wm.stubFor(
        get(urlPathEqualTo(RRSET_PATH))
            .willReturn(
                aResponse()
                    .withStatus(200)
                    .withHeader("Content-Type", "text/xml")
                    .withBody(records())
                    .withFixedDelay(2_000)));

    SourceException e =
        fetchFails(settings(List.of("Z1EXAMPLE")).withApiCallTimeout(Duration.ofSeconds(1)));

    assertThat(e.getMessage()).contains("zone Z1EXAMPLE").contains("timeout of 1000 ms (allowlist.route53.timeout)");
  }

  @Test
  void refusedConnectionFailsAfterRetries() throws IOException {
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    Route53SourceSettings settings =
        Route53SourceSettings.of(
                List.of("Z1EXAMPLE"),
                HERE,
                "us-east-1",
                Optional.of(URI.create("http://127.0.0.1:" + port)))
            .withMaxAttempts(2);

    SourceException e = fetchFails(settings);

    assertThat(e.getMessage())
        .contains("zone Z1EXAMPLE")
        .contains("cannot connect to http://127.0.0.1:" + port)
        .contains("after 2 attempts");
  }

  @Test
  void missingCredentialsSayHowToProvideThem() {
    AwsCredentialsProvider none =
        () -> {
          throw SdkClientException.create("Unable to load credentials from any of the providers");
        };
    try (Route53AllowListSource source =
        new Route53AllowListSource(settings(List.of("Z1EXAMPLE")), none)) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("no AWS credentials")
          .hasMessageContaining("AWS_ACCESS_KEY_ID")
          .hasMessageContaining("aws.accessKeyId");
    }
    assertThat(wm.getAllServeEvents()).isEmpty();
  }

  @Test
  void defaultChainReadsSystemPropertyCredentials() throws Exception {
    stubTwoPages();
    String oldKey = System.getProperty("aws.accessKeyId");
    String oldSecret = System.getProperty("aws.secretAccessKey");
    System.setProperty("aws.accessKeyId", "AKIDSYSPROP");
    System.setProperty("aws.secretAccessKey", SECRET);
    try (Route53AllowListSource source =
        new Route53AllowListSource(settings(List.of("Z1EXAMPLE")))) {
      assertThat(source.name()).isEqualTo("route53");
      assertThat(source.fetch().allow()).hasSize(6);
    } finally {
      restore("aws.accessKeyId", oldKey);
      restore("aws.secretAccessKey", oldSecret);
    }
    wm.verify(
        2,
        getRequestedFor(urlPathEqualTo(RRSET_PATH))
            .withHeader("Authorization", containing("Credential=AKIDSYSPROP/")));
  }

  @Test
  void sameZoneByIdAndNameIsListedOnce() throws Exception {
    wm.stubFor(
        xml(
            get(urlPathEqualTo("/2013-04-01/hostedzonesbyname")),
            200,
            zonesByName("example.com.", zone("Z1EXAMPLE", "example.com.", false))));
    wm.stubFor(
        xml(
            get(urlPathEqualTo(RRSET_PATH)),
            200,
            records(aRecord("a.example.com.", "192.0.2.10"))));

    SourceList list = fetch(settings(List.of("Z1EXAMPLE", "example.com.")));

    assertThat(list.allow()).extracting(SourceEntry::pattern).hasSize(1);
    assertThat(list.revision()).isEqualTo("1 record in 1 zone");
    wm.verify(1, getRequestedFor(urlPathEqualTo(RRSET_PATH)));
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }
}
