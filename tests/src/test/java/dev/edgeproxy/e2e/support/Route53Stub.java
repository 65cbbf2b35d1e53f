package dev.edgeproxy.e2e.support;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import java.util.List;
import java.util.stream.Collectors;

/**
 * An in-process WireMock speaking Route53's REST/XML API for one hosted zone, as the AWS SDK of the proxy sees it
 * (the endpoint override points at it; WireMock checks no signatures). Response bodies mirror AWS's
 * (namespace {@code https://route53.amazonaws.com/doc/2013-04-01/}).
 */
public final class Route53Stub implements AutoCloseable, Diagnosable {

  public static final String NS = "https://route53.amazonaws.com/doc/2013-04-01/";

  private final String zoneId;
  private final WireMockServer server;
  /** Kept: WireMock only tells its port while running, and diagnostics are asked for after it stopped. */
  private final int port;

  private Route53Stub(String zoneId, WireMockServer server) {
    this.zoneId = zoneId;
    this.server = server;
    this.port = server.port();
  }

  public static Route53Stub start(String zoneId) {
    WireMockServer server = new WireMockServer(wireMockConfig().bindAddress("127.0.0.1").dynamicPort());
    server.start();
    return new Route53Stub(zoneId, server);
  }

  /** For {@code allowlist.route53.endpoint}. */
  public String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  public String rrsetPath() {
    return "/2013-04-01/hostedzone/" + zoneId + "/rrset";
  }

  /** The zone every stubbed listing belongs to: its apex SOA and NS records open the first page. */
  public static final String APEX = "example.test.";

  /** One page answering every ListResourceRecordSets call. */
  public void onePage(String... recordSets) {
    server.resetMappings();
    server.stubFor(get(urlPathEqualTo(rrsetPath())).willReturn(xml(200, page(withApex(List.of(recordSets)), null))));
  }

  /** A real zone always lists its apex SOA and NS records first; the source refuses a listing without. */
  private static List<String> withApex(List<String> recordSets) {
    List<String> all = new java.util.ArrayList<>(List.of(ns(APEX), soa(APEX)));
    all.addAll(recordSets);
    return all;
  }

  /**
   * Two pages: the first truncated with NextRecordName/Type/Identifier {@code next}, the second asked for with
   * those values as {@code name}, {@code type} and {@code identifier} query parameters.
   */
  public void twoPages(List<String> first, NextRecord next, List<String> second) {
    server.resetMappings();
    server.stubFor(get(urlPathEqualTo(rrsetPath())).withQueryParam("name", absent())
        .willReturn(xml(200, page(withApex(first), next))));
    var secondPage = get(urlPathEqualTo(rrsetPath())).withQueryParam("name", equalTo(next.name()))
        .withQueryParam("type", equalTo(next.type()));
    if (next.identifier() != null) {
      secondPage = secondPage.withQueryParam("identifier", equalTo(next.identifier()));
    }
    server.stubFor(secondPage.willReturn(xml(200, page(second, null))));
  }

  /** As {@link #onePage}, each answer sent only after {@code delayMillis} (a Route53 slower than the fetch's deadline). */
  public void slowPage(int delayMillis, String... recordSets) {
    server.resetMappings();
    server.stubFor(get(urlPathEqualTo(rrsetPath())).willReturn(xml(200, page(withApex(List.of(recordSets)), null))
        .withFixedDelay(delayMillis)));
  }

  /** Every call answered 200 with {@code body} as {@code text/xml}, whatever it is (HTML, another API's answer). */
  public void answer200(String body) {
    server.resetMappings();
    server.stubFor(get(urlPathMatching("/2013-04-01/.*")).willReturn(xml(200, body)));
  }

  /** Every call answered 400 {@code Throttling}, as Route53 does when the account's rate is exceeded. */
  public void throttle() {
    server.resetMappings();
    server.stubFor(get(urlPathMatching("/2013-04-01/.*")).willReturn(xml(400, error("Sender", "Throttling",
        "Rate exceeded"))));
  }

  /** Every call answered 500 {@code InternalFailure}. */
  public void fail500() {
    server.resetMappings();
    server.stubFor(get(urlPathMatching("/2013-04-01/.*")).willReturn(xml(500, error("Receiver", "InternalFailure",
        "An internal error occurred"))));
  }

  /** Every call answered 200 with a body cut off in the middle of a record set. */
  public void malformed() {
    server.resetMappings();
    server.stubFor(get(urlPathMatching("/2013-04-01/.*")).willReturn(xml(200,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListResourceRecordSetsResponse xmlns=\"" + NS
            + "\"><ResourceRecordSets><ResourceRecordSet><Name>cut.example.test.</Name><Type>A")));
  }

  public int listCalls() {
    return server.countRequestsMatching(getRequestedFor(urlPathEqualTo(rrsetPath())).build()).getCount();
  }

  public void stop() {
    server.stop();
  }

  @Override
  public void close() {
    if (server.isRunning()) {
      server.stop();
    }
  }

  @Override
  public String diagnostics() {
    List<LoggedRequest> requests = server.isRunning() ? server.findAll(getRequestedFor(urlPathMatching(".*")))
        : List.of();
    int from = Math.max(0, requests.size() - 30);
    return "=== Route53 stub " + endpoint() + " (" + requests.size() + " requests; last 30)\n"
        + requests.subList(from, requests.size()).stream().map(r -> r.getMethod() + " " + r.getUrl())
        .collect(Collectors.joining("\n"));
  }

  /** NextRecordName / NextRecordType / NextRecordIdentifier (null when the set is a simple one). */
  public record NextRecord(String name, String type, String identifier) {}

  // ---- record sets in Route53's XML

  public static String a(String name, String... values) {
    return "<ResourceRecordSet><Name>" + name + "</Name><Type>A</Type><TTL>60</TTL>" + values(values)
        + "</ResourceRecordSet>";
  }

  public static String weightedA(String name, String setIdentifier, int weight, String value) {
    return "<ResourceRecordSet><Name>" + name + "</Name><Type>A</Type><SetIdentifier>" + setIdentifier
        + "</SetIdentifier><Weight>" + weight + "</Weight><TTL>60</TTL>" + values(value) + "</ResourceRecordSet>";
  }

  public static String cname(String name, String target) {
    return "<ResourceRecordSet><Name>" + name + "</Name><Type>CNAME</Type><TTL>300</TTL>" + values(target)
        + "</ResourceRecordSet>";
  }

  public static String alias(String name, String dnsName) {
    return "<ResourceRecordSet><Name>" + name + "</Name><Type>A</Type><AliasTarget>"
        + "<HostedZoneId>Z35SXDOTRQ7X7K</HostedZoneId><DNSName>" + dnsName + "</DNSName>"
        + "<EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget></ResourceRecordSet>";
  }

  public static String soa(String name) {
    return "<ResourceRecordSet><Name>" + name + "</Name><Type>SOA</Type><TTL>900</TTL>"
        + values("ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400")
        + "</ResourceRecordSet>";
  }

  public static String ns(String name) {
    return "<ResourceRecordSet><Name>" + name + "</Name><Type>NS</Type><TTL>172800</TTL>"
        + values("ns-1.awsdns-01.org.", "ns-2.awsdns-02.co.uk.") + "</ResourceRecordSet>";
  }

  private static String values(String... values) {
    StringBuilder xml = new StringBuilder("<ResourceRecords>");
    for (String value : values) {
      xml.append("<ResourceRecord><Value>").append(value).append("</Value></ResourceRecord>");
    }
    return xml.append("</ResourceRecords>").toString();
  }

  private static String page(List<String> recordSets, NextRecord next) {
    StringBuilder xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        + "<ListResourceRecordSetsResponse xmlns=\"" + NS + "\"><ResourceRecordSets>");
    recordSets.forEach(xml::append);
    xml.append("</ResourceRecordSets>");
    if (next == null) {
      xml.append("<IsTruncated>false</IsTruncated>");
    } else {
      xml.append("<IsTruncated>true</IsTruncated><NextRecordName>").append(next.name()).append("</NextRecordName>")
          .append("<NextRecordType>").append(next.type()).append("</NextRecordType>");
      if (next.identifier() != null) {
        xml.append("<NextRecordIdentifier>").append(next.identifier()).append("</NextRecordIdentifier>");
      }
    }
    return xml.append("<MaxItems>").append(recordSets.size()).append("</MaxItems></ListResourceRecordSetsResponse>")
        .toString();
  }

  private static String error(String type, String code, String message) {
    return "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"" + NS + "\"><Error><Type>" + type + "</Type><Code>" + code
        + "</Code><Message>" + message + "</Message></Error><RequestId>a5568810-ba11-11e5-ab6a-3b3df31c99c2"
        + "</RequestId></ErrorResponse>";
  }

  private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder xml(int status, String body) {
    return aResponse().withStatus(status).withHeader("Content-Type", "text/xml").withBody(body);
  }
}
