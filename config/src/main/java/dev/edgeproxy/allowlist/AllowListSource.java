package dev.edgeproxy.allowlist;

/**
 * A place the allow-list comes from (a local file, a Git repository, Route53). A source only
 * fetches: scheduling, merging and persistence belong to others. {@link #fetch()} is called from a
 * scheduler thread, never from an event loop, and may block.
 */
public interface AllowListSource {
  /** Stable name used in provenance, metrics tags and {@code /status}: file, git, route53. */
  String name();

  /**
   * Asks the source once and returns its complete list.
   *
   * @throws SourceException when the source cannot give a complete, valid list; the caller keeps
   *     the previous list of this source
   */
  SourceList fetch() throws SourceException;
}
