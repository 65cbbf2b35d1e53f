package dev.edgeproxy.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import dev.edgeproxy.allowlist.SourceException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Credentials in every position of the URL stay secret, and go to the configured host only. */
class GitCredentialsTest {
  static final String FILE = "allowlist.yaml";
  static final String V1 = "allow:\n  - grafana.example.com\n";
  static final String TOKEN = "ghp_0123456789abcdefNotARealToken";

  @TempDir Path tmp;
  GitRepoFixture repo;

  @BeforeEach
  void setUp() throws Exception {
    GitCli.assumePresent();
    repo = GitRepoFixture.create(tmp.resolve("repos"));
    repo.commit(FILE, V1, "first");
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
            Duration.ofSeconds(30)));
  }

  /** Every byte of every file under the folder, for "never written to disk". */
  static String everythingIn(Path dir) throws IOException {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        all.append(f).append('\n');
        all.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
      }
    }
    return all.toString();
  }

  static SourceException fetchFails(GitAllowListSource source) {
    Throwable thrown = catchThrowable(source::fetch);
    assertThat(thrown).isInstanceOf(SourceException.class);
    return (SourceException) thrown;
  }

  @Test
  void tokenAsUserNameWorksAndIsNeverWrittenToTheCache() throws Exception {
    try (GitHttpBackendServer http = GitHttpBackendServer.start(repo.root(), repo.home(), TOKEN);
        GitAllowListSource source =
            source(http.url("origin.git").replace("http://", "http://" + TOKEN + "@"), Optional.empty())) {
      assertThat(source.fetch().allow()).hasSize(1);
      assertThat(everythingIn(tmp.resolve("cache"))).doesNotContain(TOKEN);
      assertThat(repo.git(tmp.resolve("cache"), "config", "--get", "remote.origin.url"))
          .isEqualTo(http.url("origin.git").replace("http://", "http://***@"));
    }
  }

  @Test
  void wrongTokenAsUserNameIsNeverShown() throws Exception {
    String wrong = "ghp_wrongTokenAsUser42";
    try (GitHttpBackendServer http = GitHttpBackendServer.start(repo.root(), repo.home(), TOKEN);
        GitAllowListSource source =
            source(http.url("origin.git").replace("http://", "http://" + wrong + "@"), Optional.empty())) {
      SourceException e = fetchFails(source);
      assertThat(GitTransportsTest.fullText(e)).doesNotContain(wrong).contains("http://***@");
      assertThat(everythingIn(tmp.resolve("cache"))).doesNotContain(wrong);
    }
  }

  @Test
  void userAndPasswordInTheUrlWorkAndAreNeverWrittenToTheCache() throws Exception {
    try (GitHttpBackendServer http = GitHttpBackendServer.start(repo.root(), repo.home(), TOKEN);
        GitAllowListSource source =
            source(http.url("origin.git").replace("http://", "http://me:" + TOKEN + "@"), Optional.empty())) {
      assertThat(source.fetch().allow()).hasSize(1);
      assertThat(http.lastUser()).isEqualTo("me");
      assertThat(everythingIn(tmp.resolve("cache"))).doesNotContain(TOKEN);
    }
  }

  @Test
  void tokenInTheQueryIsNeverShownNorWritten() throws Exception {
    for (String param : new String[] {"private_token", "access_token"}) {
      try (GitHttpBackendServer http = GitHttpBackendServer.start(repo.root(), repo.home(), TOKEN);
          GitAllowListSource source =
              source(http.url("origin.git") + "?" + param + "=" + TOKEN, Optional.empty())) {
        SourceException e = fetchFails(source);
        assertThat(GitTransportsTest.fullText(e))
            .doesNotContain(TOKEN)
            .contains("?" + param + "=***");
        assertThat(everythingIn(tmp.resolve("cache"))).doesNotContain(TOKEN);
      }
    }
  }

  @Test
  void tokenIsNotSentToARedirectTargetOnAnotherHost() throws Exception {
    InetAddress otherHost = InetAddress.getByName("127.0.0.2");
    try (GitHttpBackendServer target =
            GitHttpBackendServer.start(repo.root(), repo.home(), TOKEN, otherHost);
        Redirector redirector = new Redirector(target.url(""));
        GitAllowListSource source = source(redirector.url("origin.git"), Optional.of(TOKEN))) {
      SourceException e = fetchFails(source);

      assertThat(e.getMessage()).doesNotContain(TOKEN);
      assertThat(redirector.redirected()).isPositive();
      assertThat(target.unauthorizedCount()).isPositive();
      assertThat(target.authorizationHeaders()).isEmpty();
    }
  }

  @Test
  void tokenOverCleartextHttpToAnotherHostIsRefused() {
    try (GitAllowListSource source =
        source("http://git.example.invalid/team/allowlist.git", Optional.of(TOKEN))) {
      SourceException e = fetchFails(source);
      assertThat(e.getMessage())
          .contains("refusing to send credentials")
          .contains("cleartext http://")
          .contains("use an https:// URL")
          .doesNotContain(TOKEN);
    }
  }

  /** Answers every request with a 301 to the same path under another base URL. */
  static final class Redirector implements AutoCloseable {
    private final HttpServer server;
    private final java.util.concurrent.atomic.AtomicInteger redirected =
        new java.util.concurrent.atomic.AtomicInteger();

    Redirector(String targetBase) throws IOException {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
      String base = targetBase.endsWith("/") ? targetBase.substring(0, targetBase.length() - 1) : targetBase;
      server.createContext(
          "/git",
          exchange -> {
            try (exchange) {
              String rest = exchange.getRequestURI().getRawPath().substring("/git".length());
              String query = exchange.getRequestURI().getRawQuery();
              exchange
                  .getResponseHeaders()
                  .add("Location", base + rest + (query == null ? "" : "?" + query));
              redirected.incrementAndGet();
              exchange.sendResponseHeaders(301, -1);
            }
          });
      server.start();
    }

    String url(String repoName) {
      return "http://127.0.0.1:" + server.getAddress().getPort() + "/git/" + repoName;
    }

    int redirected() {
      return redirected.get();
    }

    @Override
    public void close() {
      server.stop(0);
    }
  }
}
