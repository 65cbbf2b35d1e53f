package dev.edgeproxy.server.pool;

import java.time.Instant;

/**
 * An endpoint whose host name does not resolve now: the last error, the first failed attempt of this
 * run of failures, and how many attempts in a row have failed. Immutable; replaced on each attempt.
 *
 * @param error what the resolver said for the last attempt
 * @param since when the first attempt of this run failed
 * @param attempts failed attempts in a row (1 for the first)
 */
public record ResolveFailure(String error, Instant since, int attempts) {

  ResolveFailure next(String latestError) {
    return new ResolveFailure(latestError, since, attempts + 1);
  }
}
