package dev.edgeproxy.git;

import dev.edgeproxy.allowlist.AllowListSource;
import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.URIish;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The allow-list file at the tip of a branch of a Git repository.
 *
 * <p>Each {@link #fetch()} brings a bare cache repository up to date with a forced fetch of the
 * configured branch only ({@code +refs/heads/<branch>:refs/remotes/origin/<branch>}), so
 * force-pushes and rewritten history are simply followed, then reads the file straight from the
 * object database: no working tree. The first fetch into an empty cache directory is the clone. A
 * cache directory that is not a usable bare repository, or was cloned from another URL, is wiped
 * and cloned again (see {@link GitCache}).
 *
 * <p>Every fetch has a total deadline ({@link GitSourceSettings#timeout()}), not a per-read one:
 * it runs on this source's own thread, and the caller gets an answer by the deadline whatever the
 * remote does. The fetch is stopped at the deadline, when the calling thread is interrupted, and
 * when the remote sends more than the {@link GitBounds} allow.
 *
 * <p>Transports: {@code https://} (the token of {@link GitSourceSettings#token()}, or the user
 * and password written in the URL, go through a {@link HostBoundCredentials}: to the configured
 * host only, never in the URL given to JGit, never on disk), {@code ssh://} and {@code
 * user@host:path} with {@link GitSourceSettings#sshKeyFile()} and known_hosts checking, {@code
 * git://}, {@code file://} and plain local paths. Credentials over cleartext {@code http://} are
 * refused, except to a loopback host.
 *
 * <p>Errors of any kind become a {@link SourceException} whose message says what failed and never
 * contains a credential.
 */
public final class GitAllowListSource implements AllowListSource, AutoCloseable {
  public static final String NAME = "git";

  /**
   * 4 MiB, the same bound as a local allow-list file: a hand-written host list. The YAML parser's
   * code-point limit is set just above it, so a file within the byte cap never hits the parser's.
   */
  static final int MAX_FILE_BYTES = (int) dev.edgeproxy.allowlist.FileAllowListSource.MAX_BYTES;

  static final String DEFAULT_TOKEN_USER = "x-access-token";

  private static final Logger log = LoggerFactory.getLogger(GitAllowListSource.class);

  private final GitSourceSettings settings;
  private final GitBounds bounds;
  private final String safeUrl;
  private final String networkUrl;
  private final HostBoundCredentials credentials;
  private final Optional<String> refusal;
  private final GitFetcher fetcher;
  private final ExecutorService worker;
  private final Object lock = new Object();

  // guarded by lock
  private boolean closed;
  private FetchGuard current;

  private volatile String lastCommit;

  public GitAllowListSource(GitSourceSettings settings) {
    this(settings, GitBounds.DEFAULT);
  }

  GitAllowListSource(GitSourceSettings settings, GitBounds bounds) {
    this.settings = settings;
    this.bounds = bounds;
    this.safeUrl = GitUrls.redact(settings.url());
    this.networkUrl = GitUrls.withoutUserInfo(settings.url());
    List<String> secrets = new ArrayList<>(GitUrls.secrets(settings.url()));
    settings.token().ifPresent(secrets::add);
    this.credentials = credentialsFor(settings);
    this.refusal = cleartextRefusal(settings, credentials);
    RefSpec spec =
        new RefSpec(
            "+refs/heads/" + settings.branch() + ":" + GitCache.TRACKING_PREFIX + settings.branch());
    this.fetcher =
        new GitFetcher(
            settings,
            new GitCache(settings.cacheDir(), safeUrl, spec),
            spec,
            networkUrl,
            safeUrl,
            secrets,
            credentials);
    this.worker =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "git-fetch");
              t.setDaemon(true);
              return t;
            });
  }

  /** Credentials for http(s) URLs: the token, else what the URL carries; none for other URLs. */
  private static HostBoundCredentials credentialsFor(GitSourceSettings settings) {
    String url = settings.url();
    if (!GitUrls.isHttp(url)) {
      return null;
    }
    String user = GitUrls.embeddedUser(url);
    String pass = GitUrls.embeddedPassword(url);
    boolean hasUser = user != null && !user.isEmpty();
    if (settings.token().isEmpty() && !hasUser) {
      return null;
    }
    URIish uri;
    try {
      uri = new URIish(GitUrls.withoutUserInfo(url));
    } catch (URISyntaxException e) {
      return null; // the fetch reports the unusable URL
    }
    HostBoundCredentials.Origin origin = HostBoundCredentials.Origin.of(uri);
    if (settings.token().isPresent()) {
      return new HostBoundCredentials(
          origin, hasUser ? user : DEFAULT_TOKEN_USER, settings.token().get());
    }
    // user:password in the URL, or a token as the user name (GitHub's https://TOKEN@host form)
    return new HostBoundCredentials(origin, user, pass == null ? "" : pass);
  }

  private static Optional<String> cleartextRefusal(
      GitSourceSettings settings, CredentialsProvider credentials) {
    if (credentials == null || !GitUrls.isCleartextHttp(settings.url())) {
      return Optional.empty();
    }
    String host = GitUrls.host(settings.url());
    if (GitUrls.isLoopbackHost(host)) {
      return Optional.empty();
    }
    return Optional.of(
        "refusing to send credentials (tokenEnv, or a user or password in the URL) over"
            + " cleartext http:// to "
            + host
            + ": anyone on the path could read them; use an https:// URL");
  }

  @Override
  public String name() {
    return NAME;
  }

  /** Full id of the commit whose file the last successful {@link #fetch()} returned. */
  public Optional<String> lastCommit() {
    return Optional.ofNullable(lastCommit);
  }

  /**
   * Fetches and reads the file, by the deadline. An interrupt of the calling thread stops the
   * fetch and is kept (the thread stays interrupted).
   */
  @Override
  public SourceList fetch() throws SourceException {
    if (refusal.isPresent()) {
      throw new SourceException("git fetch from " + safeUrl + ": " + refusal.get());
    }
    FetchGuard guard = new FetchGuard(settings.timeout(), bounds);
    Future<SourceList> result;
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("git source is closed");
      }
      current = guard;
      result = worker.submit(() -> fetchOnWorker(guard));
    }
    try {
      SourceList list = result.get(guard.remainingNanos(), TimeUnit.NANOSECONDS);
      lastCommit = list.revision();
      return list;
    } catch (TimeoutException e) {
      guard.stop(FetchGuard.Stop.DEADLINE);
      result.cancel(true);
      throw new SourceException(deadlineMessage(guard), e);
    } catch (InterruptedException e) {
      guard.stop(FetchGuard.Stop.INTERRUPTED);
      result.cancel(true);
      Thread.currentThread().interrupt();
      throw new SourceException("git fetch from " + safeUrl + " was interrupted", e);
    } catch (CancellationException e) {
      throw new SourceException("git fetch from " + safeUrl + " was stopped: the source closed", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SourceException se) {
        throw se;
      }
      throw new SourceException(
          "git fetch from " + safeUrl + " failed: " + fetcher.scrub(String.valueOf(cause)),
          fetcher.hide(cause));
    } finally {
      synchronized (lock) {
        if (current == guard) {
          current = null;
        }
      }
    }
  }

  private String deadlineMessage(FetchGuard guard) {
    String limit = seconds(guard) + " (allowlist.git.timeout)";
    if (!guard.started()) {
      return "git fetch from "
          + safeUrl
          + " did not start within "
          + limit
          + ": the previous fetch, stopped at its own deadline, has not ended yet";
    }
    return "git fetch from " + safeUrl + " did not finish within " + limit + "; stopped";
  }

  private static String seconds(FetchGuard guard) {
    long ms = guard.timeout().toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
  }

  /** Runs on the worker thread: the only thread that touches the cache. */
  private SourceList fetchOnWorker(FetchGuard guard) throws SourceException {
    guard.markStarted();
    SourceList list = fetcher.fetch(guard);
    if (!list.revision().equals(lastCommit)) {
      log.info(
          "git allow-list {} of branch {} in {}: {} allow, {} deny, {} routes",
          settings.file() + "@" + list.revision().substring(0, Math.min(7, list.revision().length())),
          settings.branch(),
          safeUrl,
          list.allow().size(),
          list.deny().size(),
          list.routes().size());
    }
    return list;
  }

  /** Stops a running fetch and never waits for it; the cache is closed by the worker. */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      if (current != null) {
        current.stop(FetchGuard.Stop.CLOSED);
      }
      worker.execute(fetcher::close);
      worker.shutdown();
    }
  }
}
