package dev.edgeproxy.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A bare "origin" repository on disk plus a working clone that commits and pushes to it with the
 * real git command line, the way an operator edits the allow-list repository.
 *
 * <pre>{@code
 * GitRepoFixture repo = GitRepoFixture.create(tempDir);      // origin.git + work/
 * String c1 = repo.commit("allowlist.yaml", "allow: [a.example.com]\n", "first");
 * repo.amendAndForcePush("allowlist.yaml", "allow: [b.example.com]\n");   // rewrites history
 * }</pre>
 */
final class GitRepoFixture {
  private final Path root;
  private final Path origin;
  private final Path work;
  private final Path home;

  private GitRepoFixture(Path root) {
    this.root = root;
    this.origin = root.resolve("origin.git");
    this.work = root.resolve("work");
    this.home = root.resolve("home");
  }

  /** Creates {@code root/origin.git} (bare, default branch main) and a clone {@code root/work}. */
  static GitRepoFixture create(Path root) throws IOException, InterruptedException {
    GitRepoFixture f = new GitRepoFixture(root);
    Files.createDirectories(f.origin);
    f.git(f.origin, "init", "--bare", "--initial-branch=main", ".");
    f.git(root, "clone", "--quiet", f.origin.toString(), f.work.toString());
    f.git(f.work, "checkout", "--quiet", "-B", "main");
    return f;
  }

  /** The directory that holds origin.git: the base path for git daemon and http-backend. */
  Path root() {
    return root;
  }

  /** The bare repository, for plain-path and file:// URLs. */
  Path origin() {
    return origin;
  }

  /** A HOME for any other git process the test starts (daemon, http-backend). */
  Path home() {
    return home;
  }

  /** Writes the file, commits it on the current branch, pushes; returns the commit id. */
  String commit(String file, String content, String message)
      throws IOException, InterruptedException {
    write(file, content);
    git(work, "add", "--", file);
    git(work, "commit", "--quiet", "--allow-empty", "-m", message);
    String branch = git(work, "rev-parse", "--abbrev-ref", "HEAD");
    git(work, "push", "--quiet", "origin", "HEAD:refs/heads/" + branch);
    return head();
  }

  /** Rewrites the last commit with new content and force-pushes it: history is rewritten. */
  String amendAndForcePush(String file, String content) throws IOException, InterruptedException {
    write(file, content);
    git(work, "add", "--", file);
    git(work, "commit", "--quiet", "--amend", "-m", "rewritten");
    String branch = git(work, "rev-parse", "--abbrev-ref", "HEAD");
    git(work, "push", "--quiet", "--force", "origin", "HEAD:refs/heads/" + branch);
    return head();
  }

  /** Starts a new branch from the current commit (not pushed until the next commit). */
  void checkoutNewBranch(String name) throws IOException, InterruptedException {
    git(work, "checkout", "--quiet", "-b", name);
  }

  void deleteRemoteBranch(String name) throws IOException, InterruptedException {
    git(work, "push", "--quiet", "origin", "--delete", name);
  }

  String head() throws IOException, InterruptedException {
    return git(work, "rev-parse", "HEAD");
  }

  String git(Path dir, String... args) throws IOException, InterruptedException {
    return GitCli.run(home, dir, args);
  }

  private void write(String file, String content) throws IOException {
    Path target = work.resolve(file);
    Files.createDirectories(target.getParent());
    Files.writeString(target, content, StandardCharsets.UTF_8);
  }
}
