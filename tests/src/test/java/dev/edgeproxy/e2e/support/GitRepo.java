package dev.edgeproxy.e2e.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A bare repository on disk (the "forge") and a working clone that commits and pushes to it during a test, both
 * driven with the git CLI. The allow-list lives in {@code allowlist.yaml} on branch {@code main}.
 */
public final class GitRepo implements Diagnosable {

  public static final String FILE = "allowlist.yaml";

  private final Path root;
  private final Path bare;
  private final Path work;
  private final List<String> log = new ArrayList<>();

  private GitRepo(Path root) {
    this.root = root;
    this.bare = root.resolve("served").resolve("allowlist.git");
    this.work = root.resolve("work");
  }

  /** A bare repository with an empty history and a clone of it. */
  public static GitRepo create() {
    Tools.require("git");
    GitRepo repo = new GitRepo(WorkDirs.create("git"));
    try {
      Files.createDirectories(repo.bare.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    repo.git(repo.root, "init", "--quiet", "--bare", "--initial-branch=main", repo.bare.toString());
    repo.git(repo.root, "clone", "--quiet", repo.bare.toString(), repo.work.toString());
    repo.git(repo.work, "checkout", "--quiet", "-B", "main");
    return repo;
  }

  /** {@code file:///.../allowlist.git} */
  public String fileUrl() {
    return "file://" + bare.toAbsolutePath();
  }

  /** The directory {@code git daemon --base-path} serves; the repository is {@code allowlist.git} in it. */
  public Path servedDirectory() {
    return bare.getParent();
  }

  /** Writes allowlist.yaml with {@code allow}, commits and pushes; returns the new commit id. */
  public String commitAllowList(List<String> allow, String message) {
    return commitFile(ProxyConfig.allowListYaml(allow, List.of()), message);
  }

  /** Writes allowlist.yaml as given, commits and pushes; returns the new commit id. */
  public String commitFile(String content, String message) {
    write(content);
    git(work, "add", FILE);
    git(work, "commit", "--quiet", "-m", message);
    git(work, "push", "--quiet", "origin", "main");
    return head();
  }

  /**
   * Rewrites history: the branch is reset to {@code base} (an older commit), a new commit with {@code allow} is made
   * on top, and it is force-pushed. Returns the new commit id; the commits after {@code base} are gone from the branch.
   */
  public String forcePushRewritten(String base, List<String> allow, String message) {
    git(work, "reset", "--quiet", "--hard", base);
    write(ProxyConfig.allowListYaml(allow, List.of()));
    git(work, "add", FILE);
    git(work, "commit", "--quiet", "-m", message);
    git(work, "push", "--quiet", "--force", "origin", "main");
    return head();
  }

  public String head() {
    return git(work, "rev-parse", "HEAD").stdout().strip();
  }

  /** The remote vanishes: the bare repository is deleted. */
  public void deleteRemote() {
    try (Stream<Path> files = Files.walk(bare)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    assertThat(bare).doesNotExist();
  }

  private void write(String content) {
    try {
      Files.writeString(work.resolve(FILE), content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Exec.Result git(Path dir, String... args) {
    List<String> command = new ArrayList<>(List.of(Tools.path("git"), "-C", dir.toString(),
        // independent of the user's git config (signing, hooks, identity)
        "-c", "user.name=e2e", "-c", "user.email=e2e@example.test", "-c", "commit.gpgsign=false",
        "-c", "core.hooksPath=/dev/null", "-c", "init.defaultBranch=main"));
    command.addAll(List.of(args));
    Exec.Result result = Exec.run(command, Duration.ofSeconds(30));
    log.add(String.join(" ", args) + " -> " + result.exitCode());
    assertThat(result.exitCode()).as(result.describe()).isZero();
    return result;
  }

  @Override
  public String diagnostics() {
    return "=== git repo " + bare + "\n" + String.join("\n", log);
  }
}
