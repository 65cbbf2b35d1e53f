package dev.edgeproxy.dns;

/**
 * What one fetch may receive from the Route53 API. The defaults are stated in README.md
 * ("Bounds"); exceeding any of them fails the fetch, and the last good list is kept.
 *
 * @param maxPagesPerZone pages of record sets listed for one zone (and pages of zones looked up
 *     for one zone name)
 * @param maxRecordSets record sets listed in one fetch, all zones together
 * @param maxResponseBytes the body of one API answer
 */
record Route53Bounds(int maxPagesPerZone, int maxRecordSets, long maxResponseBytes) {
  /** 1,000 pages of up to 300 record sets: 30 times Route53's default quota of 10,000 per zone. */
  static final int MAX_PAGES_PER_ZONE = 1_000;

  /** 300,000 record sets per fetch. */
  static final int MAX_RECORD_SETS = 300_000;

  /** 8 MiB: a full page of 300 record sets is well under 1 MiB, even with long TXT values. */
  static final long MAX_RESPONSE_BYTES = 8L * 1024 * 1024;

  static final Route53Bounds DEFAULT =
      new Route53Bounds(MAX_PAGES_PER_ZONE, MAX_RECORD_SETS, MAX_RESPONSE_BYTES);
}
