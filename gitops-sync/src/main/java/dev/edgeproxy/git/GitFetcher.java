package dev.edgeproxy.git;

import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.InvalidRemoteException;
import org.eclipse.jgit.api.errors.JGitInternalException;
import org.eclipse.jgit.api.errors.TransportException;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.errors.NotSupportedException;
import org.eclipse.jgit.errors.PackInvalidException;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.TrackingRefUpdate;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.TransportHttp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One fetch of the Git source, on its worker thread: bring the cache up to date under a {@link
 * FetchGuard}, then read and parse the file at the branch tip. Not thread-safe: only the source's
 * worker thread calls it.
 */
final class GitFetcher {
  private static final Logger log = LoggerFactory.getLogger(GitFetcher.class);
  private static final String FETCH_FAILED_PREFIX =
      "Exception caught during execution of fetch command: ";

  private final GitSourceSettings settings;
  private final GitCache cache;
  private final RefSpec spec;
  private final String networkUrl;
  private final String safeUrl;
  private final List<String> secrets;
  private final HostBoundCredentials credentials;
  private SshSupport ssh;

  GitFetcher(
      GitSourceSettings settings,
      GitCache cache,
      RefSpec spec,
      String networkUrl,
      String safeUrl,
      List<String> secrets,
      HostBoundCredentials credentials) {
    this.settings = settings;
    this.cache = cache;
    this.spec = spec;
    this.networkUrl = networkUrl;
    this.safeUrl = safeUrl;
    this.secrets = List.copyOf(secrets);
    this.credentials = credentials;
  }

  SourceList fetch(FetchGuard guard) throws SourceException {
    try {
      return fetchOnce(guard);
    } catch (CacheBroken e) {
      throwIfStopped(guard, hide(e));
      log.warn(
          "git cache {} is unusable ({}); wiping it and cloning {} again",
          cache.dir(),
          e.getMessage(),
          safeUrl);
      try {
        cache.discard();
      } catch (IOException wipe) {
        throw new SourceException(
            "git cache " + cache.dir() + " cannot be wiped: " + describe(wipe), wipe);
      }
      try {
        return fetchOnce(guard);
      } catch (CacheBroken again) {
        throwIfStopped(guard, again);
        throw new SourceException(
            "git cache "
                + cache.dir()
                + " is unusable even after a fresh clone of "
                + safeUrl
                + ": "
                + again.getMessage(),
            again.getCause());
      }
    }
  }

  void close() {
    cache.close();
    if (ssh != null) {
      ssh.close();
      ssh = null;
    }
  }

  private SourceList fetchOnce(FetchGuard guard) throws SourceException, CacheBroken {
    Repository repo;
    try {
      repo = cache.open();
    } catch (IOException e) {
      throw new SourceException(
          "git cache " + cache.dir() + " cannot be prepared: " + scrub(describe(e)), hide(e));
    }
    fetchRemote(repo, guard);
    return GitFileReader.read(repo, settings, safeUrl);
  }

  private void fetchRemote(Repository repo, FetchGuard guard) throws SourceException, CacheBroken {
    FetchResult result;
    try (Git git = Git.wrap(repo)) {
      result =
          git.fetch()
              .setRemote(networkUrl)
              .setRefSpecs(spec)
              .setRemoveDeletedRefs(true)
              .setTagOpt(TagOpt.NO_TAGS)
              .setTimeout(guard.remainingSeconds())
              .setProgressMonitor(guard)
              .setCredentialsProvider(credentials)
              .setTransportConfigCallback(t -> configureTransport(t, guard))
              .call();
    } catch (InvalidRemoteException e) {
      throwIfStopped(guard, hide(e));
      throw new SourceException(
          "git remote " + safeUrl + " is not a usable repository: " + scrub(describe(e)), hide(e));
    } catch (TransportException e) {
      throwIfStopped(guard, hide(e));
      if (isLocalDamage(e)) {
        throw new CacheBroken(scrub(describe(e)), hide(e));
      }
      String text = describe(e);
      if (text.contains("Remote does not have " + spec.getSource())) {
        throw new SourceException(
            "branch '" + settings.branch() + "' not found in " + safeUrl, hide(e));
      }
      String why = Optional.ofNullable(ssh).flatMap(SshSupport::takeRejection).orElse(scrub(text));
      throw new SourceException("git fetch from " + safeUrl + " failed: " + why, hide(e));
    } catch (JGitInternalException e) {
      throwIfStopped(guard, hide(e));
      if (hasCause(e, NotSupportedException.class)) {
        throw new SourceException(
            "git remote " + safeUrl + " uses an unsupported transport: " + scrub(describe(e)), hide(e));
      }
      throw new CacheBroken(scrub(describe(e)), hide(e));
    } catch (GitAPIException e) {
      throwIfStopped(guard, hide(e));
      throw new CacheBroken(scrub(describe(e)), hide(e));
    } catch (RuntimeException e) {
      throwIfStopped(guard, hide(e));
      throw e;
    }
    throwIfStopped(guard, null);
    for (TrackingRefUpdate update : result.getTrackingRefUpdates()) {
      RefUpdate.Result r = update.getResult();
      if (r == RefUpdate.Result.LOCK_FAILURE
          || r == RefUpdate.Result.IO_FAILURE
          || r == RefUpdate.Result.REJECTED_OTHER_REASON) {
        throw new CacheBroken("could not update " + update.getLocalName() + ": " + r, null);
      }
    }
  }

  private void configureTransport(Transport transport, FetchGuard guard) {
    if (transport instanceof TransportHttp http) {
      HostBoundCredentials.Origin origin =
          credentials == null ? null : credentials.origin();
      http.setHttpConnectionFactory(new GuardedHttpConnectionFactory(guard, origin));
    }
    if (transport instanceof SshTransport sshTransport) {
      if (ssh == null) {
        ssh =
            new SshSupport(
                settings.sshKeyFile(), settings.knownHostsFile(), settings.strictHostKeyChecking());
      }
      sshTransport.setSshSessionFactory(ssh);
    }
  }

  /** A fetch the guard stopped fails with the guard's reason, not JGit's echo of it. */
  private void throwIfStopped(FetchGuard guard, Throwable cause) throws SourceException {
    FetchGuard.Stop why = guard.stopReason();
    if (why == null) {
      return;
    }
    GitBounds b = guard.bounds();
    String text =
        switch (why) {
          case DEADLINE -> "did not finish within "
              + guard.timeout().toMillis()
              + " ms (allowlist.git.timeout); stopped";
          case INTERRUPTED -> "was interrupted";
          case CLOSED -> "was stopped: the source closed";
          case REF_ADVERTISEMENT_TOO_LARGE -> "the remote advertised more than "
              + b.maxRefAdvertisementBytes()
              + " bytes of refs; stopped";
          case FETCH_TOO_LARGE -> "the remote sent more than "
              + b.maxFetchBytes()
              + " bytes in one fetch; stopped";
        };
    throw new SourceException("git fetch from " + safeUrl + " " + text, cause);
  }

  private static boolean isLocalDamage(Throwable e) {
    return hasCause(e, MissingObjectException.class)
        || hasCause(e, CorruptObjectException.class)
        || hasCause(e, PackInvalidException.class);
  }

  /** The distinct messages along the cause chain: JGit often hides the useful part below. */
  static String describe(Throwable e) {
    Set<String> parts = new LinkedHashSet<>();
    for (Throwable t = e; t != null && parts.size() < 5; t = t.getCause()) {
      String m = t.getMessage();
      if (m == null || m.isBlank()) {
        continue;
      }
      String message = m.strip();
      if (parts.stream().noneMatch(p -> p.contains(message))) {
        parts.add(message);
      }
    }
    return parts.isEmpty() ? e.getClass().getSimpleName() : String.join(": ", parts);
  }

  /** Hides secrets, and drops JGit's repetition of the URL that our message already names. */
  String scrub(String message) {
    String out = message.replace(safeUrl + ": ", "").replace(networkUrl + ": ", "");
    if (out.startsWith(FETCH_FAILED_PREFIX)) {
      out = out.substring(FETCH_FAILED_PREFIX.length());
    }
    for (String secret : secrets) {
      out = out.replace(secret, GitUrls.HIDDEN);
    }
    return out;
  }

  /**
   * The exception with every message scrubbed of credentials (JGit's messages repeat the URL, and a
   * token in its query), keeping the class names and stack traces for the log.
   */
  Throwable hide(Throwable e) {
    if (e == null) {
      return null;
    }
    Redacted copy = new Redacted(e.getClass().getName() + ": " + scrub(String.valueOf(e.getMessage())));
    copy.setStackTrace(e.getStackTrace());
    Throwable cause = e.getCause();
    if (cause != null && cause != e) {
      copy.initCause(hide(cause));
    }
    return copy;
  }

  /** A scrubbed stand-in for an exception that may carry a credential in its message. */
  static final class Redacted extends Exception {
    private static final long serialVersionUID = 1L;

    Redacted(String message) {
      super(message);
    }
  }

  static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** The local cache, not the remote, is at fault: wipe and clone again (once). */
  static final class CacheBroken extends Exception {
    private static final long serialVersionUID = 1L;

    CacheBroken(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
