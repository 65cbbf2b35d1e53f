package dev.edgeproxy.e2e;

import static dev.edgeproxy.e2e.support.ProxyChecks.assertForwarded;
import static dev.edgeproxy.e2e.support.ProxyChecks.awaitRefused;
import static dev.edgeproxy.e2e.support.ProxyChecks.bearer;
import static dev.edgeproxy.e2e.support.ProxyChecks.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.Tools;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A change that would drop more than maxShrink of the hosts is held back until POST /sync?force=true. */
class MaxShrinkE2eTest {

  @RegisterExtension final DumpOnFailure dump = new DumpOnFailure();

  NginxBackend nginx;
  EdgeProxyProcess proxy;

  @BeforeEach
  void start() {
    Tools.require("nginx", "openssl");
    nginx = dump.watch(NginxBackend.start());
    String[] ten = IntStream.range(0, 10).mapToObj(i -> "h" + i + ".example.test").toArray(String[]::new);
    proxy = dump.watch(EdgeProxyProcess.start(new ProxyConfig()
        .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
        .allow(ten)
        .maxShrink("50%")
        .syncTokenFromEnv()));
  }

  @AfterEach
  void stop() {
    try {
      if (proxy != null) {
        proxy.stop();
      }
    } finally {
      nginx.close();
    }
  }

  @Test
  void truncatedFileIsHeldBackUntilForced() throws Exception {
    assertThat(status(proxy).path("snapshot").path("hosts").asInt()).isEqualTo(10);
    String version = status(proxy).path("snapshot").path("version").asText();

    proxy.rewriteAllowList(List.of("h0.example.test", "h1.example.test"), List.of());

    JsonNode held = await("snapshot.heldBack in /status").atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> status(proxy).path("snapshot").path("heldBack"), h -> !h.isMissingNode() && !h.isNull()
            && !h.asText().equals("false"));
    assertThat(held.toString()).as("heldBack in /status").isNotBlank();
    JsonNode allowList = proxy.adminJson("/allowlist");
    assertThat(allowList.path("heldBack").isNull() || allowList.path("heldBack").isMissingNode())
        .as("/allowlist heldBack: %s", allowList.path("heldBack")).isFalse();
    assertThat(allowList.path("heldBack").toString()).as("/allowlist names the hosts the change would remove")
        .contains("h5.example.test").contains("h9.example.test");
    assertThat(status(proxy).path("snapshot").path("version").asText()).as("snapshot unchanged").isEqualTo(version);
    assertForwarded(proxy, "h5.example.test");
    assertForwarded(proxy, "h9.example.test");

    // POST /sync needs the bearer token; a plain sync (without force) keeps holding the change
    assertThat(proxy.adminPost("/sync?force=true", Map.of(), "").getKey()).as("no token").isEqualTo(401);
    assertThat(proxy.adminPost("/sync?force=true", bearer("wrong-token"), "").getKey()).as("wrong token")
        .isEqualTo(401);
    var plain = proxy.adminPost("/sync", bearer(ProxyConfig.SYNC_TOKEN), "");
    assertThat(plain.getKey()).as("POST /sync: %s", plain.getValue()).isEqualTo(202);
    assertForwarded(proxy, "h5.example.test");

    var forced = proxy.adminPost("/sync?force=true", bearer(ProxyConfig.SYNC_TOKEN), "");
    assertThat(forced.getKey()).as("POST /sync?force=true: %s", forced.getValue()).isEqualTo(202);
    awaitRefused(proxy, "h5.example.test", Duration.ofSeconds(10));
    awaitRefused(proxy, "h9.example.test", Duration.ofSeconds(5));
    assertForwarded(proxy, "h0.example.test");
    assertForwarded(proxy, "h1.example.test");
    JsonNode snapshot = status(proxy).path("snapshot");
    assertThat(snapshot.path("hosts").asInt()).as("snapshot after force: %s", snapshot).isEqualTo(2);
    assertThat(snapshot.path("heldBack").isNull()).as("nothing held back after force: %s", snapshot).isTrue();
    assertThat(proxy.adminJson("/allowlist").path("heldBack").isNull()).isTrue();
  }
}
