package dev.edgeproxy.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgeproxy.allowlist.SourceException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Optional;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ssh:// with an ed25519 deploy key and known_hosts checking, against an in-process MINA sshd
 * that runs the real {@code git upload-pack} (no system sshd needed).
 */
class GitSshTest {
  static final String FILE = "allowlist.yaml";

  @TempDir Path tmp;
  GitRepoFixture repo;
  SshGitServer server;
  Path key;
  Path knownHosts;

  @BeforeEach
  void setUp() throws Exception {
    GitCli.assumePresent();
    repo = GitRepoFixture.create(tmp.resolve("repos"));
    KeyPair user = SshGitServer.ed25519();
    key = tmp.resolve("deploy_key");
    try (OutputStream out = Files.newOutputStream(key)) {
      OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(user, "edge-proxy", null, out);
    }
    server = SshGitServer.start(repo.root(), repo.home(), user.getPublic());
    knownHosts = tmp.resolve("known_hosts");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  GitAllowListSource source(boolean strict) {
    return new GitAllowListSource(
        new GitSourceSettings(
            server.url("origin.git"),
            "main",
            FILE,
            tmp.resolve("cache"),
            Optional.of(key),
            Optional.of(knownHosts),
            strict,
            Optional.empty(),
            Duration.ofSeconds(90)));
  }

  @Test
  void ed25519KeyAndKnownHost() throws Exception {
    Files.writeString(knownHosts, server.knownHostsLine() + "\n");
    String c1 = repo.commit(FILE, "allow:\n  - a.example.com\n", "first");
    try (GitAllowListSource source = source(true)) {
      assertThat(source.fetch().revision()).isEqualTo(c1);
      String c2 = repo.commit(FILE, "allow:\n  - a.example.com\n  - b.example.com\n", "second");
      assertThat(source.fetch().revision()).isEqualTo(c2);
    }
  }

  @Test
  void unknownHostIsRefusedWithAdviceHowToAddIt() throws Exception {
    Files.writeString(knownHosts, "");
    repo.commit(FILE, "allow:\n  - a.example.com\n", "first");
    try (GitAllowListSource source = source(true)) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("is not in " + knownHosts)
          .hasMessageContaining(
              "ssh-keyscan -p " + server.port() + " -t ed25519 127.0.0.1 >> " + knownHosts);
    }
  }

  @Test
  void missingKnownHostsFileIsRefusedWithAdvice() throws Exception {
    repo.commit(FILE, "allow:\n  - a.example.com\n", "first");
    try (GitAllowListSource source = source(true)) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("known_hosts file " + knownHosts + " does not exist")
          .hasMessageContaining("ssh-keyscan -p " + server.port());
    }
    assertThat(knownHosts).doesNotExist();
  }

  @Test
  void changedHostKeyIsRefused() throws Exception {
    KeyPair other = SshGitServer.ed25519();
    Files.writeString(
        knownHosts,
        "[127.0.0.1]:" + server.port() + " " + PublicKeyEntry.toString(other.getPublic()) + "\n");
    repo.commit(FILE, "allow:\n  - a.example.com\n", "first");
    try (GitAllowListSource source = source(true)) {
      assertThatThrownBy(source::fetch)
          .isInstanceOf(SourceException.class)
          .hasMessageContaining("does not match the one in " + knownHosts);
    }
  }

  @Test
  void nonStrictAcceptsAnUnknownHost() throws Exception {
    String c1 = repo.commit(FILE, "allow:\n  - a.example.com\n", "first");
    try (GitAllowListSource source = source(false)) {
      assertThat(source.fetch().revision()).isEqualTo(c1);
    }
    assertThat(knownHosts).doesNotExist();
  }
}
