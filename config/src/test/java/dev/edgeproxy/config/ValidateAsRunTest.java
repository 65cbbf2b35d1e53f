package dev.edgeproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** validate refuses what run refuses, with FILE:LINE:COLUMN, and reads files the same way. */
class ValidateAsRunTest {
  @TempDir Path dir;

  @Test
  void invalidUtf8EvenInACommentIsRefused() throws Exception {
    Path config = dir.resolve("edge.yaml");
    byte[] head = "# caf".getBytes(StandardCharsets.US_ASCII);
    byte[] tail = "\nnode: {name: a}\n".getBytes(StandardCharsets.US_ASCII);
    byte[] bytes = new byte[head.length + 1 + tail.length];
    System.arraycopy(head, 0, bytes, 0, head.length);
    bytes[head.length] = (byte) 0xE9; // Latin-1 e-acute: not UTF-8
    System.arraycopy(tail, 0, bytes, head.length + 1, tail.length);
    Files.write(config, bytes);
    assertThat(Validation.validate(config, Map.of()))
        .extracting(ConfigProblem::toString)
        .containsExactly(config + ":1:1: configuration file " + config + " is not valid UTF-8");
  }

  @Test
  void cronExpressionsQuartzRefusesAreRefusedAtTheirPosition() throws Exception {
    Path config = dir.resolve("edge.yaml");
    Files.writeString(
        config,
        """
        allowlist:
          git:
            url: https://example.com/r.git
            cron: "0 */5 * * * *"
          route53:
            hostedZones: [Z1]
            pointingAt: [192.0.2.1]
            cron: "0 0 0 31 2 ?"
        """);
    assertThat(Validation.validate(config, Map.of()))
        .extracting(ConfigProblem::toString)
        .satisfiesExactly(
            p ->
                assertThat(p)
                    .startsWith(config + ":4:11: allowlist.git.cron: cron '0 */5 * * * *': Quartz refuses it: "),
            p ->
                assertThat(p)
                    .isEqualTo(config + ":8:11: allowlist.route53.cron: cron '0 0 0 31 2 ?': it never fires"));
  }

  @Test
  @Timeout(30)
  void aDeviceAsTheAllowListFileIsRefusedNotRead() throws Exception {
    Path config = dir.resolve("edge.yaml");
    Files.writeString(config, "allowlist:\n  file:\n    path: /dev/zero\n");
    assertThat(Validation.validate(config, Map.of()))
        .extracting(ConfigProblem::toString)
        .singleElement()
        .asString()
        .startsWith(config + ":3:11: allowlist.file.path: allow-list file /dev/zero is not a regular file");
    assertThat(Validation.validate(Path.of("/dev/zero"), Map.of()))
        .extracting(ConfigProblem::message)
        .singleElement()
        .asString()
        .contains("is not a regular file");
  }

  @Test
  void sourceAndReadinessTimeoutsHaveDefaultsAndMustBePositive() throws Exception {
    EdgeProxyConfig dflt = ConfigLoader.loadFromString("node: {name: a}\n", "t.yaml", Map.of());
    assertThat(dflt.allowlist().sourceTimeout()).isEqualTo(AllowListConfig.DEFAULT_SOURCE_TIMEOUT);
    assertThat(dflt.allowlist().readinessTimeout()).isEqualTo(AllowListConfig.DEFAULT_READINESS_TIMEOUT);
    EdgeProxyConfig set =
        ConfigLoader.loadFromString(
            "allowlist: {sourceTimeout: 30s, readinessTimeout: 1m}\n", "t.yaml", Map.of());
    assertThat(set.allowlist().sourceTimeout()).hasSeconds(30);
    assertThat(set.allowlist().readinessTimeout()).hasMinutes(1);
  }
}
