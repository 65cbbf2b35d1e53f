package dev.edgeproxy.git;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.RefSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bare cache repository of the Git source. Its {@code config} records the URL without any
 * credential (it is only compared, never used to fetch); a cache that is not a usable bare
 * repository of that URL is wiped and created again. Wiping never follows a symbolic link: a link
 * in place of the cache folder is removed, never what it points at.
 */
final class GitCache implements AutoCloseable {
  static final String TRACKING_PREFIX = "refs/remotes/origin/";
  private static final Logger log = LoggerFactory.getLogger(GitCache.class);

  private final Path dir;
  private final String recordedUrl;
  private final RefSpec fetchSpec;
  private Repository repository;

  GitCache(Path dir, String recordedUrl, RefSpec fetchSpec) {
    this.dir = dir;
    this.recordedUrl = recordedUrl;
    this.fetchSpec = fetchSpec;
  }

  Path dir() {
    return dir;
  }

  /** The repository, created (or wiped and created again) when there is no usable one. */
  Repository open() throws IOException {
    if (repository != null) {
      return repository;
    }
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !isEmptyDirectory(dir)) {
      String problem;
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
      log.warn("git cache {} {}; wiping it and cloning {} again", dir, problem, recordedUrl);
      wipe(dir);
    }
    repository = create();
    return repository;
  }

  /** Closes and wipes the repository: the next {@link #open()} starts from nothing. */
  void discard() throws IOException {
    close();
    wipe(dir);
  }

  @Override
  public void close() {
    if (repository != null) {
      repository.close();
      repository = null;
    }
  }

  /** Null when the repository is a usable bare clone of our URL, else what is wrong with it. */
  private String problemWith(Repository repo) throws IOException {
    if (!repo.isBare() || !repo.getConfig().getBoolean("core", "bare", false)) {
      return "is not a bare repository";
    }
    String url = repo.getConfig().getString("remote", "origin", "url");
    if (!recordedUrl.equals(url)) {
      // never show what was there: an older version may have written a credential
      return "was cloned from another URL";
    }
    for (Ref ref : repo.getRefDatabase().getRefsByPrefix(TRACKING_PREFIX)) {
      ObjectId id = ref.getObjectId();
      if (id == null || !repo.getObjectDatabase().has(id)) {
        return "has a dangling ref " + ref.getName();
      }
    }
    return null;
  }

  private Repository create() throws IOException {
    Files.createDirectories(dir);
    Repository repo = FileRepositoryBuilder.create(dir.toFile());
    try {
      repo.create(true);
      // remote.origin.* makes the cache a normal clone for humans (`git -C cache log origin/main`)
      // and records the URL for the "cloned from another URL" check; never a credential in it
      StoredConfig config = repo.getConfig();
      config.setString("remote", "origin", "url", recordedUrl);
      config.setString("remote", "origin", "fetch", fetchSpec.toString());
      config.setBoolean("gc", null, "autoDetach", false);
      config.save();
      return repo;
    } catch (IOException | RuntimeException e) {
      repo.close();
      throw e;
    }
  }

  /**
   * Deletes what is inside the cache folder, or the file or symbolic link standing in its place.
   * Never follows a link, neither the folder itself nor anything inside it.
   */
  static void wipe(Path dir) throws IOException {
    if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.delete(dir); // a file, or a link (the link only, not its target)
      return;
    }
    Path root = dir.toAbsolutePath().normalize();
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
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    try (Stream<Path> children = Files.list(dir)) {
      return children.findAny().isEmpty();
    }
  }
}
