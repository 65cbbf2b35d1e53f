package dev.edgeproxy.git;

import dev.edgeproxy.allowlist.AllowListFileParser;
import dev.edgeproxy.allowlist.AllowListFormatException;
import dev.edgeproxy.allowlist.AllowListSource;
import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.api.errors.InvalidRemoteException;
import org.eclipse.jgit.api.errors.JGitInternalException;
import org.eclipse.jgit.api.errors.TransportException;
import org.eclipse.jgit.errors.CorruptObjectException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.errors.NotSupportedException;
import org.eclipse.jgit.errors.PackInvalidException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.TagOpt;
import org.eclipse.jgit.transport.TrackingRefUpdate;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The allow-list file at the tip of a branch of a Git repository.
 *
 * <p>Each {@link #fetch()} brings a bare cache repository up to date with a forced fetch of every
 * branch ({@code +refs/heads/*:refs/remotes/origin/*}, pruned), so force-pushes and rewritten
 * history are simply followed, then reads the file straight from the object database: no working
 * tree. The first fetch into an empty cache directory is the clone. A cache directory that is not
 * a usable bare repository, or was cloned from another URL, is wiped and cloned again.
 *
 * <p>Transports: {@code https://} (with {@link GitSourceSettings#token()} sent as HTTP basic
 * password; the user name is the one in the URL, else {@code x-access-token}, which GitHub,
 * GitLab ({@code oauth2} works there too) and Forgejo/Gitea all accept with a token), {@code
 * ssh://} and {@code user@host:path} with {@link GitSourceSettings#sshKeyFile()} and
 * known_hosts checking, {@code git://}, {@code file://} and plain local paths.
 *
 * <p>Errors of any kind become a {@link SourceException} whose message says what failed (commit,
 * branch, file, line, column, or the transport's complaint) and never contains the token. Not
 * thread-safe by contract, but concurrent calls are serialised.
 */
public final class GitAllowListSource implements AllowListSource, AutoCloseable {
  public static final String NAME = "git";

  /** The file is a hand-written host list: anything near this size is a mistake. */
  static final int MAX_FILE_BYTES = 4 * 1024 * 1024;

  private static final String FETCH_FAILED_PREFIX =
      "Exception caught during execution of fetch command: ";

  static final String DEFAULT_TOKEN_USER = "x-access-token";
  static final String TRACKING_PREFIX = "refs/remotes/origin/";
  static final RefSpec FETCH_SPEC = new RefSpec("+refs/heads/*:" + TRACKING_PREFIX + "*");

  private static final Logger log = LoggerFactory.getLogger(GitAllowListSource.class);

  private final GitSourceSettings settings;
  private final String safeUrl;
  private final CredentialsProvider credentials;
  private final List<String> secrets;
  private final int timeoutSeconds;
  private final Object lock = new Object();

  // guarded by lock
  private Repository repository;
  private SshSupport ssh;
  private boolean closed;

  private volatile String lastCommit;

  public GitAllowListSource(GitSourceSettings settings) {
    this.settings = settings;
    this.safeUrl = GitUrls.redact(settings.url());
    List<String> hidden = new ArrayList<>();
    settings.token().ifPresent(hidden::add);
    Optional.ofNullable(GitUrls.embeddedPassword(settings.url()))
        .filter(p -> !p.isEmpty())
        .ifPresent(hidden::add);
    this.secrets = List.copyOf(hidden);
    String user =
        Optional.ofNullable(GitUrls.embeddedUser(settings.url()))
            .filter(u -> !u.isEmpty())
            .orElse(DEFAULT_TOKEN_USER);
    this.credentials =
        settings.token().map(t -> new UsernamePasswordCredentialsProvider(user, t)).orElse(null);
    long seconds = (settings.timeout().toMillis() + 999) / 1000;
    this.timeoutSeconds = (int) Math.max(1, Math.min(Integer.MAX_VALUE, seconds));
  }

  @Override
  public String name() {
    return NAME;
  }

  /** Full id of the commit whose file the last successful {@link #fetch()} returned. */
  public Optional<String> lastCommit() {
    return Optional.ofNullable(lastCommit);
  }

  @Override
  public SourceList fetch() throws SourceException {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("git source is closed");
      }
      try {
        return fetchOnce();
      } catch (CacheBroken e) {
        log.warn(
            "git cache {} is unusable ({}); wiping it and cloning {} again",
            settings.cacheDir(),
            e.getMessage(),
            safeUrl);
        discardCache();
        try {
          return fetchOnce();
        } catch (CacheBroken again) {
          throw new SourceException(
              "git cache "
                  + settings.cacheDir()
                  + " is unusable even after a fresh clone of "
                  + safeUrl
                  + ": "
                  + again.getMessage(),
              again);
        }
      }
    }
  }

  @Override
  public void close() {
    synchronized (lock) {
      closed = true;
      if (repository != null) {
        repository.close();
        repository = null;
      }
      if (ssh != null) {
        ssh.close();
        ssh = null;
      }
    }
  }

  private SourceList fetchOnce() throws SourceException, CacheBroken {
    Repository repo = openCache();
    fetchRemote(repo);
    return readList(repo);
  }

  // ---- the cache repository ----

  private Repository openCache() throws SourceException, CacheBroken {
    if (repository != null) {
      return repository;
    }
    Path dir = settings.cacheDir();
    try {
      if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !isEmptyDirectory(dir)) {
        String problem = null;
        Repository repo = null;
        try {
          repo = new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build();
          problem = problemWith(repo);
        } catch (IOException | RuntimeException e) {
          problem = "not a git repository: " + e.getMessage();
        }
        if (problem == null) {
          repository = repo;
          return repo;
        }
        if (repo != null) {
          repo.close();
        }
        log.warn("git cache {} {}; wiping it and cloning {} again", dir, problem, safeUrl);
        wipe(dir);
      }
      repository = initCache(dir);
      return repository;
    } catch (IOException e) {
      throw new SourceException(
          "git cache " + dir + " cannot be prepared: " + scrub(describe(e)), e);
    }
  }

  /** Null when the repository is a usable bare clone of our URL, else what is wrong with it. */
  private String problemWith(Repository repo) throws IOException {
    if (!repo.isBare() || !repo.getConfig().getBoolean("core", "bare", false)) {
      return "is not a bare repository";
    }
    String url = repo.getConfig().getString("remote", "origin", "url");
    if (!safeUrl.equals(url)) {
      return "was cloned from another URL (" + url + ")";
    }
    for (Ref ref : repo.getRefDatabase().getRefsByPrefix(TRACKING_PREFIX)) {
      ObjectId id = ref.getObjectId();
      if (id == null || !repo.getObjectDatabase().has(id)) {
        return "has a dangling ref " + ref.getName();
      }
    }
    return null;
  }

  private Repository initCache(Path dir) throws IOException {
    Files.createDirectories(dir);
    Repository repo = FileRepositoryBuilder.create(dir.toFile());
    try {
      repo.create(true);
      // remote.origin.* makes the cache a normal clone for humans (`git -C cache log origin/main`)
      // and records the URL for the "cloned from another URL" check; never a password in it
      StoredConfig config = repo.getConfig();
      config.setString("remote", "origin", "url", safeUrl);
      config.setString("remote", "origin", "fetch", FETCH_SPEC.toString());
      config.setBoolean("gc", null, "autoDetach", false);
      config.save();
      return repo;
    } catch (IOException | RuntimeException e) {
      repo.close();
      throw e;
    }
  }

  private void discardCache() throws SourceException {
    if (repository != null) {
      repository.close();
      repository = null;
    }
    try {
      wipe(settings.cacheDir());
    } catch (IOException e) {
      throw new SourceException(
          "git cache " + settings.cacheDir() + " cannot be wiped: " + describe(e), e);
    }
  }

  /** Deletes what is inside the cache directory (never following links), or the file there. */
  static void wipe(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.isDirectory(dir)) {
      Files.delete(dir);
      return;
    }
    Path root = dir.toRealPath();
    if (root.getNameCount() < 2) {
      throw new IOException("refusing to wipe " + root + ": too close to the file system root");
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            Files.delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            if (!d.equals(root)) {
              Files.delete(d);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(dir)) {
      return false;
    }
    try (Stream<Path> children = Files.list(dir)) {
      return children.findAny().isEmpty();
    }
  }

  // ---- the network ----

  private void fetchRemote(Repository repo) throws SourceException, CacheBroken {
    FetchResult result;
    try (Git git = Git.wrap(repo)) {
      result =
          git.fetch()
              .setRemote(settings.url())
              .setRefSpecs(FETCH_SPEC)
              .setRemoveDeletedRefs(true)
              .setTagOpt(TagOpt.NO_TAGS)
              .setTimeout(timeoutSeconds)
              .setCredentialsProvider(credentials)
              .setTransportConfigCallback(this::configureTransport)
              .call();
    } catch (InvalidRemoteException e) {
      throw new SourceException(
          "git remote " + safeUrl + " is not a usable repository: " + scrub(describe(e)), e);
    } catch (TransportException e) {
      if (isLocalDamage(e)) {
        throw new CacheBroken(scrub(describe(e)), e);
      }
      String why =
          Optional.ofNullable(ssh).flatMap(SshSupport::takeRejection).orElse(scrub(describe(e)));
      throw new SourceException("git fetch from " + safeUrl + " failed: " + why, e);
    } catch (JGitInternalException e) {
      if (hasCause(e, NotSupportedException.class)) {
        throw new SourceException(
            "git remote " + safeUrl + " uses an unsupported transport: " + scrub(describe(e)), e);
      }
      throw new CacheBroken(scrub(describe(e)), e);
    } catch (GitAPIException e) {
      throw new CacheBroken(scrub(describe(e)), e);
    }
    for (TrackingRefUpdate update : result.getTrackingRefUpdates()) {
      RefUpdate.Result r = update.getResult();
      if (r == RefUpdate.Result.LOCK_FAILURE
          || r == RefUpdate.Result.IO_FAILURE
          || r == RefUpdate.Result.REJECTED_OTHER_REASON) {
        throw new CacheBroken("could not update " + update.getLocalName() + ": " + r, null);
      }
    }
  }

  private void configureTransport(Transport transport) {
    if (transport instanceof SshTransport sshTransport) {
      // called under lock, from fetchRemote
      if (ssh == null) {
        ssh =
            new SshSupport(
                settings.sshKeyFile(), settings.knownHostsFile(), settings.strictHostKeyChecking());
      }
      sshTransport.setSshSessionFactory(ssh);
    }
  }

  private static boolean isLocalDamage(Throwable e) {
    return hasCause(e, MissingObjectException.class)
        || hasCause(e, CorruptObjectException.class)
        || hasCause(e, PackInvalidException.class);
  }

  // ---- reading the file ----

  private SourceList readList(Repository repo) throws SourceException, CacheBroken {
    String branch = settings.branch();
    String file = settings.file();
    ObjectId tip;
    try {
      Ref ref = repo.exactRef(TRACKING_PREFIX + branch);
      if (ref == null || ref.getObjectId() == null) {
        throw new SourceException(
            "branch '" + branch + "' not found in " + safeUrl + branchesHint(repo));
      }
      tip = ref.getObjectId();
    } catch (IOException e) {
      throw new CacheBroken(describe(e), e);
    }
    String abbrev = tip.abbreviate(7).name();
    byte[] bytes;
    try (RevWalk walk = new RevWalk(repo)) {
      RevCommit commit = walk.parseCommit(tip);
      try (TreeWalk tree = TreeWalk.forPath(repo, file, commit.getTree())) {
        if (tree == null) {
          throw new SourceException(
              "file '"
                  + file
                  + "' not found at commit "
                  + abbrev
                  + " of branch '"
                  + branch
                  + "' in "
                  + safeUrl);
        }
        FileMode mode = tree.getFileMode(0);
        if (!FileMode.REGULAR_FILE.equals(mode) && !FileMode.EXECUTABLE_FILE.equals(mode)) {
          throw new SourceException(
              "'"
                  + file
                  + "' at commit "
                  + abbrev
                  + " of branch '"
                  + branch
                  + "' is not a regular file (a directory, symlink or submodule)");
        }
        ObjectLoader loader = repo.open(tree.getObjectId(0), Constants.OBJ_BLOB);
        if (loader.getSize() > MAX_FILE_BYTES) {
          throw new SourceException(
              file + "@" + abbrev + " is " + loader.getSize() + " bytes, more than the "
                  + MAX_FILE_BYTES + " an allow-list file may have");
        }
        bytes = loader.getCachedBytes(MAX_FILE_BYTES);
      }
    } catch (IOException e) {
      // missing or corrupt objects right after a successful fetch: the cache is damaged
      throw new CacheBroken(describe(e), e);
    }
    String ref = file + "@" + abbrev;
    SourceList parsed = parse(decode(bytes, ref), ref);
    SourceList list =
        new SourceList(NAME, tip.name(), parsed.allow(), parsed.deny(), parsed.routes());
    if (!tip.name().equals(lastCommit)) {
      log.info(
          "git allow-list {} of branch {} in {}: {} allow, {} deny, {} routes",
          ref,
          branch,
          safeUrl,
          list.allow().size(),
          list.deny().size(),
          list.routes().size());
    }
    lastCommit = tip.name();
    return list;
  }

  private static String decode(byte[] bytes, String ref) throws SourceException {
    try {
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
      return text.startsWith("\uFEFF") ? text.substring(1) : text;
    } catch (CharacterCodingException e) {
      throw new SourceException(ref + ": not valid UTF-8", e);
    }
  }

  private static SourceList parse(String text, String ref) throws SourceException {
    try {
      return AllowListFileParser.parse(text, NAME, ref);
    } catch (AllowListFormatException e) {
      // already "allowlist.yaml@3f2c1ab:7:5: invalid host name '...'"
      throw new SourceException(e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new SourceException(ref + ": " + e.getMessage(), e);
    }
  }

  private static String branchesHint(Repository repo) throws IOException {
    List<String> names =
        repo.getRefDatabase().getRefsByPrefix(TRACKING_PREFIX).stream()
            .map(r -> r.getName().substring(TRACKING_PREFIX.length()))
            .sorted()
            .collect(Collectors.toList());
    if (names.isEmpty()) {
      return " (the repository has no branches)";
    }
    String shown = names.stream().limit(10).collect(Collectors.joining(", "));
    return " (branches: " + shown + (names.size() > 10 ? ", ..." : "") + ")";
  }

  // ---- messages ----

  /** The distinct messages along the cause chain: JGit often hides the useful part below. */
  private static String describe(Throwable e) {
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
  private String scrub(String message) {
    String out = message.replace(safeUrl + ": ", "");
    if (out.startsWith(FETCH_FAILED_PREFIX)) {
      out = out.substring(FETCH_FAILED_PREFIX.length());
    }
    for (String secret : secrets) {
      out = out.replace(secret, "***");
    }
    return out;
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  /** The local cache, not the remote, is at fault: wipe and clone again (once). */
  private static final class CacheBroken extends Exception {
    private static final long serialVersionUID = 1L;

    CacheBroken(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
