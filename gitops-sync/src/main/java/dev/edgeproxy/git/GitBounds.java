package dev.edgeproxy.git;

/**
 * What one fetch may receive from the remote. The defaults are stated in README.md ("Bounds").
 *
 * @param maxRefAdvertisementBytes one http(s) answer listing refs (the {@code info/refs} GET and a
 *     protocol v2 {@code ls-refs}): a remote advertising an endless list of refs is cut here
 * @param maxFetchBytes everything received in one fetch, pack included
 * @param maxFileBytes the allow-list file (one blob) read from the fetched commit
 */
record GitBounds(long maxRefAdvertisementBytes, long maxFetchBytes, int maxFileBytes) {
  /** 4 MiB of advertisement is some 60,000 refs: far beyond a repository holding a host list. */
  static final long MAX_REF_ADVERTISEMENT_BYTES = 4L * 1024 * 1024;

  /** 64 MiB: a host-list repository with years of history is a few MiB. */
  static final long MAX_FETCH_BYTES = 64L * 1024 * 1024;

  static final GitBounds DEFAULT =
      new GitBounds(
          MAX_REF_ADVERTISEMENT_BYTES, MAX_FETCH_BYTES, GitAllowListSource.MAX_FILE_BYTES);
}
