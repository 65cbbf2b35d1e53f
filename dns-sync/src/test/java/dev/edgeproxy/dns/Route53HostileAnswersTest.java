package dev.edgeproxy.dns;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * The real SDK against a Route53 that answers HTTP 200 with the wrong thing, pages in circles, or
 * sends too much: each is an error (the caller keeps its last good list), never "0 records".
 */
class Route53HostileAnswersTest {
  @RegisterExtension
  static WireMockExtension wm =
      WireMockExtension.newInstance()
          .options(wireMockConfig().bindAddress("127.0.0.1").dynamicPort())
          .build();

  private static final String NS = "https://route53.amazonaws.com/doc/2013-04-01/";
  private static final String RRSET = "/2013-04-01/hostedzone/Z1EXAMPLE/rrset";
  private static final String APEX =
      "<ResourceRecordSet><Name>example.com.</Name><Type>NS</Type><TTL>172800</TTL>"
          + "<ResourceRecords><ResourceRecord><Value>ns-1.awsdns-01.org.</Value></ResourceRecord>"
          + "</ResourceRecords></ResourceRecordSet>"
          + "<ResourceRecordSet><Name>example.com.</Name><Type>SOA</Type><TTL>900</TTL>"
          + "<ResourceRecords><ResourceRecord><Value>ns-1.awsdns-01.org. h.example.com. 1 7200"
          + " 900 1209600 86400</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>";

  private static String page(String sets, String next) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListResourceRecordSetsResponse xmlns=\""
        + NS
        + "\"><ResourceRecordSets>"
        + sets
        + "</ResourceRecordSets>"
        + (next == null
            ? "<IsTruncated>false</IsTruncated>"
            : "<IsTruncated>true</IsTruncated><NextRecordName>"
                + next
                + "</NextRecordName><NextRecordType>A</NextRecordType>")
        + "<MaxItems>300</MaxItems></ListResourceRecordSetsResponse>";
  }

  private static String a(String name) {
    return "<ResourceRecordSet><Name>"
        + name
        + "</Name><Type>A</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.10"
        + "</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>";
  }

  private static MappingBuilder answer(MappingBuilder request, String body) {
    return request.willReturn(
        aResponse().withStatus(200).withHeader("Content-Type", "text/xml").withBody(body));
  }

  private static Route53SourceSettings settings() {
    return Route53SourceSettings.of(
            List.of("Z1EXAMPLE"),
            List.of("192.0.2.10"),
            "us-east-1",
            Optional.of(URI.create(wm.baseUrl())))
        .withMaxAttempts(2)
        .withApiCallTimeout(Duration.ofSeconds(10));
  }

  private static Route53AllowListSource source(Route53SourceSettings s, Route53Bounds bounds) {
    return new Route53AllowListSource(
        s,
        StaticCredentialsProvider.create(AwsBasicCredentials.create("AKIDEXAMPLE", "secret")),
        Duration.ofMillis(2),
        bounds);
  }

  private static SourceException fails(Route53SourceSettings s, Route53Bounds bounds) {
    try (Route53AllowListSource source = source(s, bounds)) {
      Throwable thrown = catchThrowable(source::fetch);
      assertThat(thrown).isInstanceOf(SourceException.class);
      return (SourceException) thrown;
    }
  }

  private static SourceException fails() {
    return fails(settings(), Route53Bounds.DEFAULT);
  }

  @Test
  void http200WithoutARecordListingIsAnErrorNeverAnEmptyZone() {
    String[] bodies = {
      "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"" + NS + "\"><Error><Type>Sender</Type>"
          + "<Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>",
      "",
      "<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>",
      "<?xml version=\"1.0\"?><ListHostedZonesResponse xmlns=\"" + NS + "\"><HostedZones/>"
          + "<IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesResponse>",
      "<?xml version=\"1.0\"?><ListResourceRecordSetsResponse xmlns=\"" + NS + "\">"
          + "<IsTruncated>false</IsTruncated><MaxItems>300</MaxItems>"
          + "</ListResourceRecordSetsResponse>",
    };
    for (String body : bodies) {
      wm.resetAll();
      wm.stubFor(answer(get(urlPathEqualTo(RRSET)), body));
      SourceException e = fails();
      assertThat(e.getMessage()).as(body).startsWith("route53: listing records of zone Z1EXAMPLE");
    }
  }

  @Test
  void aZoneWithoutItsSoaAndNsRecordsIsAnError() {
    wm.stubFor(answer(get(urlPathEqualTo(RRSET)), page(a("www.example.com."), null)));

    assertThat(fails().getMessage()).contains("has no SOA record").contains("Z1EXAMPLE");
  }

  @Test
  void paginationGoingRoundInACircleIsStoppedAtTheFirstTokenSeenTwice() {
    wm.stubFor(
        answer(
            get(urlPathEqualTo(RRSET)).withQueryParam("name", absent()),
            page(APEX + a("a.example.com."), "b.example.com.")));
    wm.stubFor(
        answer(
            get(urlPathEqualTo(RRSET)).withQueryParam("name", equalTo("b.example.com.")),
            page(a("b.example.com."), "c.example.com.")));
    wm.stubFor(
        answer(
            get(urlPathEqualTo(RRSET)).withQueryParam("name", equalTo("c.example.com.")),
            page(a("c.example.com."), "b.example.com.")));

    assertThat(fails().getMessage()).contains("repeated a page");
    assertThat(wm.getAllServeEvents()).hasSize(3);
  }

  @Test
  void morePagesThanTheBoundIsAnError() {
    for (int i = 0; i < 5; i++) {
      MappingBuilder request =
          get(urlPathEqualTo(RRSET))
              .withQueryParam("name", i == 0 ? absent() : equalTo("p" + i + ".example.com."));
      wm.stubFor(answer(request, page(APEX + a("p" + i + ".example.com."), "p" + (i + 1) + ".example.com.")));
    }

    SourceException e = fails(settings(), new Route53Bounds(3, 1000, 1 << 20));

    assertThat(e.getMessage()).contains("more than 3 pages");
    assertThat(wm.getAllServeEvents()).hasSize(3);
  }

  @Test
  void moreRecordSetsThanTheBoundIsAnError() {
    StringBuilder sets = new StringBuilder(APEX);
    for (int i = 0; i < 10; i++) {
      sets.append(a("h" + i + ".example.com."));
    }
    wm.stubFor(answer(get(urlPathEqualTo(RRSET)), page(sets.toString(), null)));

    SourceException e = fails(settings(), new Route53Bounds(10, 5, 1 << 20));

    assertThat(e.getMessage()).contains("more than 5 record sets");
  }

  @Test
  void oneHugePageIsCutAtTheResponseCap() {
    StringBuilder sets = new StringBuilder(APEX);
    while (sets.length() < Route53Bounds.MAX_RESPONSE_BYTES + 1024 * 1024) {
      sets.append(a("h" + sets.length() + ".example.com."));
    }
    wm.stubFor(answer(get(urlPathEqualTo(RRSET)), page(sets.toString(), null)));

    SourceException e =
        fails(settings().withApiCallTimeout(Duration.ofSeconds(60)), Route53Bounds.DEFAULT);

    assertThat(e.getMessage())
        .contains("larger than " + Route53Bounds.MAX_RESPONSE_BYTES + " bytes");
    assertThat(wm.getAllServeEvents()).hasSize(1); // not retried
  }

  @Test
  void aChunkedAnswerWithoutLengthIsCutToo() {
    StringBuilder sets = new StringBuilder(APEX);
    while (sets.length() < 200_000) {
      sets.append(a("h" + sets.length() + ".example.com."));
    }
    wm.stubFor(
        get(urlPathEqualTo(RRSET))
            .willReturn(
                aResponse()
                    .withStatus(200)
                    .withHeader("Content-Type", "text/xml")
                    .withBody(page(sets.toString(), null))
                    .withChunkedDribbleDelay(4, 20)));

    SourceException e = fails(settings(), new Route53Bounds(10, 100_000, 64 * 1024));

    assertThat(e.getMessage()).contains("larger than 65536 bytes");
  }

  @Test
  void theTimeoutBoundsTheWholeFetchNotEachPage() {
    for (int i = 0; i < 6; i++) {
      MappingBuilder request =
          get(urlPathEqualTo(RRSET))
              .withQueryParam("name", i == 0 ? absent() : equalTo("p" + i + ".example.com."));
      String next = i == 5 ? null : "p" + (i + 1) + ".example.com.";
      wm.stubFor(
          request.willReturn(
              aResponse()
                  .withStatus(200)
                  .withHeader("Content-Type", "text/xml")
                  .withBody(page(APEX + a("p" + i + ".example.com."), next))
                  .withFixedDelay(700)));
    }

    SourceException e =
        fails(settings().withApiCallTimeout(Duration.ofSeconds(2)), Route53Bounds.DEFAULT);

    assertThat(e.getMessage()).contains("timeout of 2000 ms (allowlist.route53.timeout)");
    assertThat(wm.getAllServeEvents().size()).isLessThan(6);
  }

  @Test
  void escapedDotsAndRecordsOutsideTheZoneNeverBecomeHosts() throws Exception {
    wm.stubFor(
        answer(
            get(urlPathEqualTo(RRSET)),
            page(
                APEX
                    + a("ok.example.com.")
                    + a("x\\056y.example.com.")
                    + a("google.com.")
                    + a("com."),
                null)));

    try (Route53AllowListSource source = source(settings(), Route53Bounds.DEFAULT)) {
      SourceList list = source.fetch();
      assertThat(list.allow()).extracting(e -> e.pattern().toString()).containsExactly("ok.example.com");
    }
  }

  @Test
  void anInterruptedFetchStopsBeforeTheNextCallAndSaysSo() {
    wm.stubFor(answer(get(urlPathEqualTo(RRSET)), page(APEX + a("ok.example.com."), null)));
    Thread.currentThread().interrupt();
    try {
      assertThat(fails().getMessage()).contains("interrupted");
      assertThat(wm.getAllServeEvents()).isEmpty();
    } finally {
      Thread.interrupted();
    }
  }
}
