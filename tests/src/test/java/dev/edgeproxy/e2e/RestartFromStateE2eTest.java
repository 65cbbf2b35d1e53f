package dev.edgeproxy.e2e;

import static dev.edgeproxy.e2e.support.ProxyChecks.assertForwarded;
import static dev.edgeproxy.e2e.support.ProxyChecks.assertRefused;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitForwarded;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitSourceError;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitSourceSuccess;
import static dev.edgeproxy.e2e.support.ProxyChecks.status;
import static dev.edgeproxy.e2e.support.Route53Stub.a;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.GitRepo;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.Route53Stub;
import dev.edgeproxy.e2e.support.Tools;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A node restarted while Git and AWS are both unreachable serves at once from its state file: the same hosts as
 * before the restart, ready, with the sources' errors in /status.
 */
class RestartFromStateE2eTest {

  @RegisterExtension final DumpOnFailure dump = new DumpOnFailure();

  NginxBackend nginx;
  Route53Stub route53;
  EdgeProxyProcess first;
  EdgeProxyProcess second;

  @BeforeEach
  void start() {
    Tools.require("nginx", "git", "openssl");
    nginx = dump.watch(NginxBackend.start());
    route53 = dump.watch(Route53Stub.start(Route53SourceE2eTest.ZONE));
  }

  @AfterEach
  void stop() {
    try {
      if (second != null) {
        second.stop();
      }
      if (first != null) {
        first.close();
      }
    } finally {
      route53.close();
      nginx.close();
    }
  }

  @Test
  void restartWithGitAndRoute53DownServesTheSavedSnapshotAtOnce() throws Exception {
    GitRepo repo = dump.watch(GitRepo.create());
    repo.commitAllowList(List.of("git1.example.test", "git2.example.test"), "git hosts");
    route53.onePage(a("r53.example.test.", "203.0.113.10"), a("\\052.apps.example.test.", "203.0.113.10"),
        a("elsewhere.example.test.", "198.51.100.7"));
    ProxyConfig config = Route53SourceE2eTest.config(nginx, route53)
        .git(new ProxyConfig.GitSource(repo.fileUrl(), "1s", null));
    first = dump.watch(EdgeProxyProcess.start(config));
    awaitSourceSuccess(first, "git", Duration.ofSeconds(20));
    awaitSourceSuccess(first, "route53", Duration.ofSeconds(20));
    awaitForwarded(first, "git1.example.test", Duration.ofSeconds(10));
    awaitForwarded(first, "r53.example.test", Duration.ofSeconds(10));
    JsonNode before = status(first).path("snapshot");
    assertThat(before.path("hosts").asInt()).as("snapshot before the restart: %s", before).isEqualTo(4);
    assertThat(first.stateFile()).isRegularFile();

    assertThat(first.terminate(Duration.ofSeconds(30))).as("exit status after SIGTERM").isZero();
    repo.deleteRemote();
    route53.stop();

    second = dump.watch(first.startAgain("edge-proxy-restarted"));
    // ready (startAgain waited for /readyz 200) and serving the saved hosts without waiting for any source
    assertForwarded(second, "git1.example.test");
    assertForwarded(second, "git2.example.test");
    assertForwarded(second, "r53.example.test");
    assertForwarded(second, "grafana.apps.example.test");
    assertRefused(second, "elsewhere.example.test");
    JsonNode after = status(second).path("snapshot");
    assertThat(after.path("version").asText()).as("same snapshot version").isEqualTo(before.path("version").asText());
    assertThat(after.path("hosts").asInt()).isEqualTo(4);

    // both sources then fail: visible in /status, and the saved list keeps serving
    assertThat(awaitSourceError(second, "git", Duration.ofSeconds(20))).isNotBlank();
    assertThat(awaitSourceError(second, "route53", Duration.ofSeconds(30))).isNotBlank();
    assertForwarded(second, "git2.example.test");
    assertForwarded(second, "r53.example.test");
    assertThat(second.admin("/readyz").getKey()).isEqualTo(200);
    assertThat(status(second).path("snapshot").path("hosts").asInt()).isEqualTo(4);
  }
}
