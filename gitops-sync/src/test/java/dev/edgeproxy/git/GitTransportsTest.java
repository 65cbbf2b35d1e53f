package dev.edgeproxy.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The git source over the network transports, against real git servers on 127.0.0.1. */
class GitTransportsTest {
  static final String FILE = "allowlist.yaml";
  static final String V1 = "allow:\n  - grafana.example.com\n";
  static final String V2 = V1 + "  - added.example.com\n";
  static final String TOKEN = "tok-3f9a1c-not-a-real-secret";

  @TempDir Path tmp;
  GitRepoFixture repo;

  @BeforeEach
  void setUp() throws Exception {
    GitCli.assumePresent();
    repo = GitRepoFixture.create(tmp.resolve("repos"));
  }

  GitAllowListSource source(String url, Optional<String> token) {
    return new GitAllowListSource(
        new GitSourceSettings(
            url,
            "main",
            FILE,
            tmp.resolve("cache"),
            Optional.empty(),
            Optional.empty(),
            true,
            token,
            Duration.ofSeconds(10)));
  }

  @Test
  void gitDaemonCloneThenFetch() throws Exception {
    String c1 = repo.commit(FILE, V1, "first");
    try (GitDaemonServer daemon = GitDaemonServer.start(repo.root(), repo.home());
        GitAllowListSource source = source(daemon.url("origin.git"), Optional.empty())) {
      assertThat(source.fetch().revision()).isEqualTo(c1);

      String c2 = repo.commit(FILE, V2, "add");
      SourceList list = source.fetch();

      assertThat(list.revision()).isEqualTo(c2);
      assertThat(list.allow()).anySatisfy(e -> {
        assertThat(e.pattern().toString()).isEqualTo("added.example.com");
        assertThat(e.provenance().ref()).isEqualTo(FILE + "@" + c2.substring(0, 7) + " line 3");
      });
    }
  }

  @Test
  void gitDaemonFollowsForcePush() throws Exception {
    repo.commit(FILE, V1, "first");
    repo.commit(FILE, V2, "second");
    try (GitDaemonServer daemon = GitDaemonServer.start(repo.root(), repo.home());
        GitAllowListSource source = source(daemon.url("origin.git"), Optional.empty())) {
      source.fetch();
      String rewritten = repo.amendAndForcePush(FILE, "allow:\n  - rewritten.example.com\n");
      assertThat(source.fetch().revision()).isEqualTo(rewritten);
    }
  }

  @Test
  void unreachableRemoteIsASourceException() throws Exception {
    int closed = TestPorts.freePort();
    String url = "git://127.0.0.1:" + closed + "/origin.git";
    try (GitAllowListSource source = source(url, Optional.empty())) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("git fetch from " + url + " failed");
      // the cache stays usable: once the server is there the next fetch works
    }
  }

  @Test
  void unknownRepositoryOnTheDaemonIsASourceException() throws Exception {
    repo.commit(FILE, V1, "first");
    try (GitDaemonServer daemon = GitDaemonServer.start(repo.root(), repo.home());
        GitAllowListSource source = source(daemon.url("missing.git"), Optional.empty())) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("missing.git");
    }
  }

  @Test
  void smartHttpWithToken() throws Exception {
    String c1 = repo.commit(FILE, V1, "first");
    try (GitHttpBackendServer http = GitHttpBackendServer.start(repo.root(), repo.home(), TOKEN);
        GitAllowListSource source = source(http.url("origin.git"), Optional.of(TOKEN))) {
      assertThat(source.fetch().revision()).isEqualTo(c1);
      assertThat(http.lastUser()).isEqualTo("x-access-token");

      String c2 = repo.commit(FILE, V2, "add");
      assertThat(source.fetch().revision()).isEqualTo(c2);
    }
  }

  @Test
  void smartHttpUsesTheUserNamedInTheUrl() throws Exception {
    String c1 = repo.commit(FILE, V1, "first");
    try (GitHttpBackendServer http = GitHttpBackendServer.start(repo.root(), repo.home(), TOKEN);
        GitAllowListSource source =
            source(
                http.url("origin.git").replace("http://", "http://oauth2@"),
                Optional.of(TOKEN))) {
      assertThat(source.fetch().revision()).isEqualTo(c1);
      assertThat(http.lastUser()).isEqualTo("oauth2");
    }
  }

  @Test
  void smartHttpWithWrongTokenFailsWithoutShowingIt() throws Exception {
    repo.commit(FILE, V1, "first");
    String wrong = "wrong-token-7d1e0b";
    try (GitHttpBackendServer http = GitHttpBackendServer.start(repo.root(), repo.home(), TOKEN);
        GitAllowListSource source = source(http.url("origin.git"), Optional.of(wrong))) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining(http.url("origin.git"))
          .satisfies(e -> assertThat(fullText(e)).doesNotContain(wrong).doesNotContain(TOKEN));
      assertThat(http.unauthorizedCount()).isPositive();
    }
  }

  @Test
  void smartHttpWithoutTokenFails() throws Exception {
    repo.commit(FILE, V1, "first");
    try (GitHttpBackendServer http = GitHttpBackendServer.start(repo.root(), repo.home(), TOKEN);
        GitAllowListSource source = source(http.url("origin.git"), Optional.empty())) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("git fetch from " + http.url("origin.git") + " failed");
    }
  }

  @Test
  void passwordInTheUrlIsNeverShown() throws Exception {
    repo.commit(FILE, V1, "first");
    String wrong = "pw-in-url-5c2e";
    try (GitHttpBackendServer http = GitHttpBackendServer.start(repo.root(), repo.home(), TOKEN);
        GitAllowListSource source =
            source(
                http.url("origin.git").replace("http://", "http://me:" + wrong + "@"),
                Optional.empty())) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .satisfies(e -> assertThat(fullText(e)).doesNotContain(wrong));
      assertThat(
              repo.git(tmp.resolve("cache"), "config", "--get", "remote.origin.url"))
          .doesNotContain(wrong);
    }
  }

  /** Message of the exception and of every cause: none may carry a secret. */
  static String fullText(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      sb.append(t).append('\n');
    }
    return sb.toString();
  }
}
