package dev.edgeproxy.e2e;

import static dev.edgeproxy.e2e.support.ProxyChecks.assertForwarded;
import static dev.edgeproxy.e2e.support.ProxyChecks.assertRefused;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitForwarded;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitRefused;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitSourceError;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitSourceSuccess;
import static dev.edgeproxy.e2e.support.ProxyChecks.source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.GitDaemon;
import dev.edgeproxy.e2e.support.GitRepo;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyChecks;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.Tools;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The allow-list in a Git repository: a bare repository on disk that a second clone pushes to while the real jar
 * follows it (file:// with a short interval, git:// through {@code git daemon} with a webhook).
 */
class GitSourceE2eTest {

  private static final String SECRET_ENV = "EDGE_WEBHOOK_SECRET";
  private static final String SECRET = "e2e-webhook-secret";
  private static final Duration WITHIN_INTERVAL = Duration.ofSeconds(15);

  @RegisterExtension final DumpOnFailure dump = new DumpOnFailure();

  static NginxBackend nginx;
  EdgeProxyProcess proxy;
  GitDaemon daemon;

  @BeforeAll
  static void startNginx() {
    Tools.require("nginx", "git", "openssl");
    nginx = NginxBackend.start();
  }

  @AfterAll
  static void stopNginx() {
    if (nginx != null) {
      nginx.close();
    }
  }

  @AfterEach
  void stop() {
    try {
      if (proxy != null) {
        proxy.stop();
      }
    } finally {
      if (daemon != null) {
        daemon.close();
      }
    }
  }

  @Test
  void pushesAreFollowedBrokenYamlKeepsTheLastGoodListForcePushesAreFollowed() throws Exception {
    GitRepo repo = dump.watch(GitRepo.create());
    String first = repo.commitAllowList(List.of("www.example.test", "keep1.example.test", "keep2.example.test"),
        "first list");
    proxy = dump.watch(EdgeProxyProcess.start(config(repo.fileUrl(), "1s", null)));
    dump.watch(nginx);
    awaitSourceSuccess(proxy, "git", WITHIN_INTERVAL);

    assertForwarded(proxy, "www.example.test");
    assertRefused(proxy, "new.example.test");
    assertThat(source(proxy, "git").path("commit").asText()).startsWith(first.substring(0, 7));

    // a push adding a host: effective within the interval
    String second = repo.commitAllowList(List.of("www.example.test", "keep1.example.test", "keep2.example.test",
        "new.example.test"), "add new.example.test");
    awaitForwarded(proxy, "new.example.test", WITHIN_INTERVAL);
    assertThat(source(proxy, "git").path("commit").asText()).startsWith(second.substring(0, 7));

    // a push of a broken file: the last good list stays, /status names commit, file and line
    String broken = repo.commitFile("""
        allow:
          - "www.example.test"
          - "keep1.example.test"
          - "not a host name!"
        deny: []
        """, "broken entry on line 4");
    String error = awaitSourceError(proxy, "git", WITHIN_INTERVAL);
    assertThat(error).as("git lastError").contains("allowlist.yaml").contains(broken.substring(0, 7)).contains(":4:");
    assertForwarded(proxy, "new.example.test");
    assertForwarded(proxy, "keep2.example.test");
    assertThat(proxy.logLines()).as("the proxy logs the broken commit")
        .anyMatch(line -> line.contains(broken.substring(0, 7)) && line.contains(":4:"));

    // history rewritten and force-pushed over the broken commit and the one before: followed
    String rewritten = repo.forcePushRewritten(first,
        List.of("www.example.test", "keep1.example.test", "keep2.example.test", "forced.example.test"),
        "rewritten history");
    awaitForwarded(proxy, "forced.example.test", WITHIN_INTERVAL);
    awaitRefused(proxy, "new.example.test", Duration.ofSeconds(5));
    await("git lastError cleared after the good force-push").atMost(WITHIN_INTERVAL)
        .pollInterval(Duration.ofMillis(250))
        .until(() -> source(proxy, "git").path("lastError").isNull());
    assertThat(source(proxy, "git").path("commit").asText()).startsWith(rewritten.substring(0, 7));

    // the remote disappears: an error, the list stays
    repo.deleteRemote();
    String unreachable = awaitSourceError(proxy, "git", WITHIN_INTERVAL);
    assertThat(unreachable).as("git lastError for a deleted remote").isNotBlank();
    assertForwarded(proxy, "forced.example.test");
    assertForwarded(proxy, "www.example.test");
    assertThat(proxy.admin("/readyz").getKey()).as("still ready").isEqualTo(200);
  }

  @Test
  void webhookOverGitDaemonAppliesAPushAtOnceAndRefusesBadSignatures() throws Exception {
    GitRepo repo = dump.watch(GitRepo.create());
    String first = repo.commitAllowList(List.of("www.example.test", "keep1.example.test", "keep2.example.test"),
        "first list");
    daemon = dump.watch(GitDaemon.serve(repo.servedDirectory()));
    // an hour between polls: only the run at start and the webhook can bring changes in this test
    proxy = dump.watch(EdgeProxyProcess.start(config(daemon.url("allowlist.git"), "1h", SECRET_ENV)
        .env(SECRET_ENV, SECRET)));
    dump.watch(nginx);
    awaitSourceSuccess(proxy, "git", WITHIN_INTERVAL);

    assertForwarded(proxy, "www.example.test");
    assertThat(source(proxy, "git").path("commit").asText()).as("the run at start, whatever the interval")
        .startsWith(first.substring(0, 7));

    repo.commitAllowList(List.of("www.example.test", "keep1.example.test", "keep2.example.test",
        "hook.example.test"), "add hook.example.test");
    assertRefused(proxy, "hook.example.test");

    String payload = "{\"ref\":\"refs/heads/main\",\"after\":\"" + repo.head() + "\"}";
    var noSignature = proxy.adminPost("/hooks/git", Map.of("Content-Type", "application/json",
        "X-GitHub-Event", "push"), payload);
    var wrongSecret = proxy.adminPost("/hooks/git", Map.of("Content-Type", "application/json",
        "X-GitHub-Event", "push", "X-Hub-Signature-256", ProxyChecks.githubSignature("not-the-secret", payload)),
        payload);
    var tampered = proxy.adminPost("/hooks/git", Map.of("Content-Type", "application/json",
        "X-GitHub-Event", "push", "X-Hub-Signature-256", ProxyChecks.githubSignature(SECRET, payload)),
        payload + " ");
    assertThat(noSignature.getKey()).as("no signature: %s", noSignature.getValue()).isEqualTo(401);
    assertThat(wrongSecret.getKey()).as("signed with another secret: %s", wrongSecret.getValue()).isEqualTo(401);
    assertThat(tampered.getKey()).as("body changed after signing: %s", tampered.getValue()).isEqualTo(401);
    assertRefused(proxy, "hook.example.test");

    var good = proxy.adminPost("/hooks/git", Map.of("Content-Type", "application/json",
        "X-GitHub-Event", "push", "X-Hub-Signature-256", ProxyChecks.githubSignature(SECRET, payload)), payload);
    assertThat(good.getKey()).as("valid signature: %s", good.getValue()).isEqualTo(202);
    // "at once": the git source runs now; bounded well below the hour of the interval
    awaitForwarded(proxy, "hook.example.test", Duration.ofSeconds(10));
    assertThat(source(proxy, "git").path("commit").asText()).startsWith(repo.head().substring(0, 7));
    assertThat(source(proxy, "git").path("lastError").isNull()).isTrue();
  }

  private static ProxyConfig config(String url, String interval, String secretEnv) {
    return new ProxyConfig()
        .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
        .allow()
        .git(new ProxyConfig.GitSource(url, interval, secretEnv));
  }
}
