package dev.edgeproxy.dns;

import dev.edgeproxy.allowlist.SourceException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.ListResourceRecordSetsRequest;
import software.amazon.awssdk.services.route53.model.ListResourceRecordSetsResponse;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;

/**
 * Every page of one zone's record sets, checked strictly: an answer without {@code
 * <ResourceRecordSets>} or {@code <IsTruncated>} (an error document sent with HTTP 200, an empty
 * or HTML body, another API's answer) is an error, never "no records"; so is a zone listing
 * without its SOA and NS records, which every real zone has at its apex. Pagination is bounded in
 * pages and stops on any page token seen before (A, B, A), not only on one repeated at once.
 */
final class ZoneListing {
  /**
   * @param apex the zone's name (of its SOA record), canonical
   * @param pointingHere the record sets that point at this node, in the order listed
   */
  record Result(String apex, List<ResourceRecordSet> pointingHere, int recordSets, int pages) {}

  private ZoneListing() {}

  static Result list(
      Route53Client client, String zoneId, PointingAt pointingAt, FetchBudget budget)
      throws SourceException {
    String what = "listing records of zone " + zoneId;
    List<ResourceRecordSet> here = new ArrayList<>();
    Set<List<String>> tokensSeen = new HashSet<>();
    String apex = null;
    boolean sawNs = false;
    int sets = 0;
    int pages = 0;
    ListResourceRecordSetsRequest.Builder request =
        ListResourceRecordSetsRequest.builder().hostedZoneId(zoneId);
    while (true) {
      if (++pages > budget.bounds().maxPagesPerZone()) {
        throw new SourceException(
            "route53: zone "
                + zoneId
                + " has more than "
                + budget.bounds().maxPagesPerZone()
                + " pages of records");
      }
      java.time.Duration left = budget.nextCall(what);
      ListResourceRecordSetsResponse page =
          client.listResourceRecordSets(
              request.overrideConfiguration(o -> o.apiCallTimeout(left)).build());
      if (!page.hasResourceRecordSets() || page.isTruncated() == null) {
        throw new SourceException(
            "route53: "
                + what
                + ": the answer (page "
                + pages
                + ") has no "
                + (page.hasResourceRecordSets() ? "<IsTruncated>" : "<ResourceRecordSets>")
                + ": not a ListResourceRecordSets answer (an error document, an empty or HTML"
                + " body?)");
      }
      budget.countRecordSets(page.resourceRecordSets().size(), zoneId);
      for (ResourceRecordSet set : page.resourceRecordSets()) {
        sets++;
        String type = set.typeAsString();
        if ("SOA".equals(type) && set.name() != null) {
          apex = Route53Names.canonical(set.name());
        } else if ("NS".equals(type)) {
          sawNs = true;
        }
        if (pointingAt.matches(set)) {
          here.add(set);
        }
      }
      if (!page.isTruncated()) {
        break;
      }
      List<String> next =
          List.of(
              String.valueOf(page.nextRecordName()),
              String.valueOf(page.nextRecordTypeAsString()),
              String.valueOf(page.nextRecordIdentifier()));
      if (page.nextRecordName() == null || !tokensSeen.add(next)) {
        // The API would send us round the same pages for ever.
        throw new SourceException(
            "route53: "
                + what
                + ": the API repeated a page (next record "
                + String.join(" ", next)
                + " was already listed)");
      }
      request =
          ListResourceRecordSetsRequest.builder()
              .hostedZoneId(zoneId)
              .startRecordName(page.nextRecordName())
              .startRecordType(page.nextRecordTypeAsString())
              .startRecordIdentifier(page.nextRecordIdentifier());
    }
    if (apex == null || !sawNs) {
      throw new SourceException(
          "route53: "
              + what
              + ": the listing has no "
              + (apex == null ? "SOA" : "NS")
              + " record, which every hosted zone has: not a complete answer");
    }
    return new Result(apex, here, sets, pages);
  }
}
