package dev.edgeproxy.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgeproxy.allowlist.Provenance;
import dev.edgeproxy.allowlist.SourceEntry;
import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The git source against a real bare repository on disk, written to with the git CLI. */
class GitAllowListSourceTest {
  static final String FILE = "allowlist.yaml";
  static final String V1 = "allow:\n  - grafana.example.com\n  - \"*.apps.example.com\"\n";
  static final String V2 = V1 + "  - new.example.com\ndeny:\n  - admin.example.com\n";

  @TempDir Path tmp;
  GitRepoFixture repo;

  @BeforeEach
  void setUp() throws Exception {
    GitCli.assumePresent();
    repo = GitRepoFixture.create(tmp.resolve("repos"));
  }

  GitAllowListSource source(String url) {
    return new GitAllowListSource(
        new GitSourceSettings(
            url,
            "main",
            FILE,
            tmp.resolve("cache"),
            Optional.empty(),
            Optional.empty(),
            true,
            Optional.empty(),
            Duration.ofSeconds(20)));
  }

  static List<String> hosts(List<SourceEntry> entries) {
    return entries.stream().map(e -> e.pattern().toString()).toList();
  }

  static Provenance provenanceOf(SourceList list, String host) {
    return list.allow().stream()
        .filter(e -> e.pattern().toString().equals(host))
        .findFirst()
        .orElseThrow()
        .provenance();
  }

  @Test
  void firstFetchClonesAndReadsTheFileWithCommitProvenance() throws Exception {
    String c1 = repo.commit(FILE, V1, "first");
    try (GitAllowListSource source = source(repo.origin().toString())) {
      assertThat(source.name()).isEqualTo("git");
      assertThat(source.lastCommit()).isEmpty();

      SourceList list = source.fetch();

      assertThat(list.source()).isEqualTo("git");
      assertThat(list.revision()).isEqualTo(c1);
      assertThat(hosts(list.allow())).containsExactly("grafana.example.com", "*.apps.example.com");
      assertThat(provenanceOf(list, "grafana.example.com"))
          .isEqualTo(new Provenance("git", FILE + "@" + c1.substring(0, 7) + " line 2"));
      assertThat(source.lastCommit()).contains(c1);
      // a bare cache: no working tree was checked out
      assertThat(tmp.resolve("cache/HEAD")).exists();
      assertThat(tmp.resolve("cache").resolve(FILE)).doesNotExist();
    }
  }

  @Test
  void nextFetchShowsAnAddedHostWithTheNewCommit() throws Exception {
    repo.commit(FILE, V1, "first");
    try (GitAllowListSource source = source(repo.origin().toString())) {
      source.fetch();
      String c2 = repo.commit(FILE, V2, "add new.example.com");

      SourceList list = source.fetch();

      assertThat(list.revision()).isEqualTo(c2);
      assertThat(hosts(list.allow())).contains("new.example.com");
      assertThat(hosts(list.deny())).containsExactly("admin.example.com");
      assertThat(provenanceOf(list, "new.example.com").ref())
          .isEqualTo(FILE + "@" + c2.substring(0, 7) + " line 4");
      assertThat(source.lastCommit()).contains(c2);
    }
  }

  @Test
  void brokenYamlNamesCommitFileLineAndColumn() throws Exception {
    String good = repo.commit(FILE, V1, "first");
    try (GitAllowListSource source = source(repo.origin().toString())) {
      source.fetch();
      String bad = repo.commit(FILE, V1 + "  - bad_host!.example.com\n", "typo");

      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageStartingWith(FILE + "@" + bad.substring(0, 7) + ":4:")
          .hasMessageContaining("bad_host!.example.com");
      // the source reports the commit whose list the caller still holds
      assertThat(source.lastCommit()).contains(good);

      String fixed = repo.commit(FILE, V2, "fix");
      assertThat(source.fetch().revision()).isEqualTo(fixed);
    }
  }

  @Test
  void yamlSyntaxErrorNamesLineAndColumn() throws Exception {
    String bad = repo.commit(FILE, "allow:\n  - a.example.com\n deny: [\n", "broken");
    try (GitAllowListSource source = source(repo.origin().toString())) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageMatching("\\Q" + FILE + "@" + bad.substring(0, 7) + ":\\E\\d+:\\d+: .+");
    }
  }

  @Test
  void forcePushRewritingHistoryIsFollowed() throws Exception {
    repo.commit(FILE, V1, "first");
    String old = repo.commit(FILE, V2, "second");
    try (GitAllowListSource source = source(repo.origin().toString())) {
      assertThat(source.fetch().revision()).isEqualTo(old);
      String rewritten = repo.amendAndForcePush(FILE, "allow:\n  - only.example.com\n");

      SourceList list = source.fetch();

      assertThat(rewritten).isNotEqualTo(old);
      assertThat(list.revision()).isEqualTo(rewritten);
      assertThat(hosts(list.allow())).containsExactly("only.example.com");
    }
  }

  @Test
  void missingBranchIsAnErrorNamingTheBranch() throws Exception {
    repo.commit(FILE, V1, "first");
    GitSourceSettings s =
        new GitSourceSettings(
            repo.origin().toString(),
            "production",
            FILE,
            tmp.resolve("cache"),
            Optional.empty(),
            Optional.empty(),
            true,
            Optional.empty(),
            Duration.ofSeconds(20));
    try (GitAllowListSource source = new GitAllowListSource(s)) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("branch 'production' not found in " + repo.origin());
    }
  }

  @Test
  void branchDeletedUpstreamIsPrunedAndReportedMissing() throws Exception {
    repo.commit(FILE, V1, "first");
    repo.checkoutNewBranch("staging");
    repo.commit(FILE, V2, "staging list");
    GitSourceSettings s =
        new GitSourceSettings(
            repo.origin().toString(),
            "refs/heads/staging",
            FILE,
            tmp.resolve("cache"),
            Optional.empty(),
            Optional.empty(),
            true,
            Optional.empty(),
            Duration.ofSeconds(20));
    try (GitAllowListSource source = new GitAllowListSource(s)) {
      assertThat(hosts(source.fetch().allow())).contains("new.example.com");
      repo.deleteRemoteBranch("staging");

      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("branch 'staging' not found");
    }
  }

  @Test
  void missingFileIsAnErrorNamingFileCommitAndBranch() throws Exception {
    String c1 = repo.commit("other.yaml", V1, "wrong file");
    try (GitAllowListSource source = source(repo.origin().toString())) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("file '" + FILE + "' not found")
          .hasMessageContaining("commit " + c1.substring(0, 7))
          .hasMessageContaining("branch 'main'");
    }
  }

  @Test
  void fileInASubdirectoryAndLeadingDotSlash() throws Exception {
    String c1 = repo.commit("edge/allow.yaml", V1, "nested");
    GitSourceSettings s =
        new GitSourceSettings(
            repo.origin().toUri().toString(),
            "main",
            "./edge/allow.yaml",
            tmp.resolve("cache"),
            Optional.empty(),
            Optional.empty(),
            true,
            Optional.empty(),
            Duration.ofSeconds(20));
    try (GitAllowListSource source = new GitAllowListSource(s)) {
      SourceList list = source.fetch();
      assertThat(provenanceOf(list, "grafana.example.com").ref())
          .isEqualTo("edge/allow.yaml@" + c1.substring(0, 7) + " line 2");
    }
  }

  @Test
  void fileUrlWorks() throws Exception {
    String c1 = repo.commit(FILE, V1, "first");
    String url = repo.origin().toUri().toString();
    assertThat(url).startsWith("file:");
    try (GitAllowListSource source = source(url)) {
      assertThat(source.fetch().revision()).isEqualTo(c1);
    }
  }

  @Test
  void emptyRepositoryHasNoBranches() throws Exception {
    try (GitAllowListSource source = source(repo.origin().toString())) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("branch 'main' not found in " + repo.origin());
    }
  }

  @Test
  void missingLocalRepositoryIsASourceException() throws Exception {
    try (GitAllowListSource source = source(tmp.resolve("nowhere.git").toString())) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("nowhere.git");
    }
  }

  @Test
  void corruptCacheIsWipedAndClonedAgain() throws Exception {
    String c1 = repo.commit(FILE, V1, "first");
    Path cache = tmp.resolve("cache");
    Files.createDirectories(cache.resolve("objects"));
    Files.writeString(cache.resolve("HEAD"), "garbage\n");
    Files.writeString(cache.resolve("junk.txt"), "not a repository\n");
    try (GitAllowListSource source = source(repo.origin().toString())) {
      assertThat(source.fetch().revision()).isEqualTo(c1);
      assertThat(cache.resolve("junk.txt")).doesNotExist();
    }
  }

  @Test
  void cacheWithDanglingRefIsWipedAndClonedAgain() throws Exception {
    String c1 = repo.commit(FILE, V1, "first");
    try (GitAllowListSource source = source(repo.origin().toString())) {
      source.fetch();
    }
    // simulate a half-deleted object store: the ref points at an object that is gone
    Path ref = tmp.resolve("cache/refs/remotes/origin/main");
    if (!Files.exists(ref)) {
      repo.git(tmp.resolve("cache"), "pack-refs", "--all", "--prune");
      Files.writeString(tmp.resolve("cache/packed-refs"), "");
      Files.createDirectories(ref.getParent());
    }
    Files.writeString(ref, "0123456789012345678901234567890123456789\n");
    try (GitAllowListSource source = source(repo.origin().toString())) {
      assertThat(source.fetch().revision()).isEqualTo(c1);
    }
  }

  @Test
  void cacheClonedFromAnotherUrlIsReplaced() throws Exception {
    GitRepoFixture other = GitRepoFixture.create(tmp.resolve("other"));
    other.commit(FILE, "allow:\n  - other.example.com\n", "other");
    String c1 = repo.commit(FILE, V1, "first");
    try (GitAllowListSource first = source(other.origin().toString())) {
      assertThat(hosts(first.fetch().allow())).containsExactly("other.example.com");
    }
    try (GitAllowListSource second = source(repo.origin().toString())) {
      SourceList list = second.fetch();
      assertThat(list.revision()).isEqualTo(c1);
      assertThat(hosts(list.allow())).doesNotContain("other.example.com");
      assertThat(
              repo.git(tmp.resolve("cache"), "config", "--get", "remote.origin.url"))
          .isEqualTo(repo.origin().toString());
    }
  }

  @Test
  void settingsNeverShowTheToken() {
    GitSourceSettings s =
        new GitSourceSettings(
            "https://user:pw-in-url@git.example.com/a.git",
            "main",
            FILE,
            tmp,
            Optional.empty(),
            Optional.empty(),
            true,
            Optional.of("s3cr3t-token"),
            Duration.ofSeconds(5));
    assertThat(s.toString()).doesNotContain("s3cr3t-token").doesNotContain("pw-in-url");
  }

  @Test
  void symlinkedCacheFolderIsReplacedNeverWipedThrough() throws Exception {
    String c1 = repo.commit(FILE, V1, "first");
    Path precious = Files.createDirectories(tmp.resolve("precious"));
    Files.writeString(precious.resolve("keep.txt"), "must survive\n");
    Files.createSymbolicLink(tmp.resolve("cache"), precious);
    try (GitAllowListSource source = source(repo.origin().toString())) {
      assertThat(source.fetch().revision()).isEqualTo(c1);
    }
    assertThat(precious.resolve("keep.txt")).hasContent("must survive");
    assertThat(tmp.resolve("cache")).isDirectory().isNotEqualTo(precious);
    assertThat(Files.isSymbolicLink(tmp.resolve("cache"))).isFalse();
  }

  @Test
  void fileOfExactlyTheCapIsReadAndOneByteMoreIsRefusedWithTheCap() throws Exception {
    int cap = 4 * 1024 * 1024;
    String atCap = yamlOfBytes(cap);
    String c1 = repo.commit(FILE, atCap, "exactly 4 MiB");
    try (GitAllowListSource source = source(repo.origin().toString())) {
      assertThat(source.fetch().revision()).isEqualTo(c1);
      repo.commit(FILE, atCap + "#", "4 MiB and one byte");
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("is " + (cap + 1) + " bytes, more than the " + cap);
    }
  }

  @Test
  void fileBetweenThreeAndFourMiBIsReadNotRefusedByTheParser() throws Exception {
    // SnakeYAML's default limit is 3 Mi code points: files between 3 and 4 MiB used to fail there
    String c1 = repo.commit(FILE, yamlOfBytes(3 * 1024 * 1024 + 512 * 1024), "3.5 MiB");
    try (GitAllowListSource source = source(repo.origin().toString())) {
      assertThat(source.fetch().revision()).isEqualTo(c1);
      repo.commit(FILE, yamlOfBytes(4 * 1024 * 1024 + 512 * 1024), "4.5 MiB");
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("more than the 4194304 (4 MiB) an allow-list file in Git may have")
          .hasMessageNotContaining("code points");
    }
  }

  /** A valid allow-list of exactly that many bytes (ASCII), padded with a comment. */
  static String yamlOfBytes(int size) {
    StringBuilder sb = new StringBuilder("allow:\n");
    for (int i = 0; sb.length() < size - 64; i++) {
      sb.append("  - h").append(i).append(".example.com\n");
    }
    sb.append('#');
    while (sb.length() < size - 1) {
      sb.append('x');
    }
    return sb.append('\n').toString();
  }
}
