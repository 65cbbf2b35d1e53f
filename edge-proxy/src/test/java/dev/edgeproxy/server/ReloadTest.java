package dev.edgeproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.server.observe.BuildInfo;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReloadTest {
  @TempDir Path dir;
  private EdgeProxyServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private String config(String binds, String extra) {
    return """
        node: {name: reload-test, warmUpConnections: 20}
        listeners:
          tls:
            bind: %s
          admin:
            bind: "127.0.0.1:%d"
        backends:
          traefik:
            tls: ["127.0.0.1:9"]
          other:
            tls: ["127.0.0.1:9"]
        defaultBackend: traefik
        allowlist:
          file:
            path: allowlist.yaml
        accessLog:
          format: none
        %s
        """
        .formatted(binds, adminPort, extra);
  }

  private int adminPort;

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void aValidChangeRebindsAndABrokenOneKeepsTheRunningConfiguration() throws Exception {
    adminPort = Loopback.freePort();
    int first = Loopback.freePort();
    int second = Loopback.freePort();
    Files.writeString(dir.resolve("allowlist.yaml"), "allow: [grafana.example.com]\n");
    Path file = dir.resolve("edge-proxy.yaml");
    Files.writeString(file, config("\"127.0.0.1:" + first + "\"", ""));
    server = EdgeProxyServer.start(ConfigLoader.load(file), file);
    assertThat(accepts(first)).isTrue();
    assertThat(accepts(second)).isFalse();

    String firstHash = server.configHash();
    Files.writeString(file, config("[\"127.0.0.1:" + second + "\"]", "routes: [{hosts: [grafana.example.com], backend: other}]"));
    assertThat(server.reload()).isTrue();
    assertThat(accepts(second)).as("new bind address").isTrue();
    assertThat(accepts(first)).as("removed bind address").isFalse();
    assertThat(server.readiness()).doesNotContain("no allow-list snapshot loaded yet");

    BuildInfo reloaded = new BuildInfo(new SimpleMeterRegistry(), "test");
    reloaded.configLoaded(ConfigLoader.load(file));
    assertThat(server.configHash()).as("the hash follows the reloaded file").isNotEqualTo(firstHash).isEqualTo(reloaded.configHash());
    Files.writeString(file, "listeners: {tls: {bind: \"127.0.0.1:notaport\"}}\nunknownKey: 1\n");
    assertThat(server.reload()).as("broken config refused").isFalse();
    assertThat(accepts(second)).as("still serving on the old configuration").isTrue();
  }
}
