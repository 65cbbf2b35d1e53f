package dev.edgeproxy.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.edgeproxy.allowlist.SourceException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Remotes that never answer, trickle, or send without end: every fetch ends by its deadline. */
class GitHostileRemoteTest {
  static final Duration DEADLINE = Duration.ofSeconds(3);
  /** Scheduling slack on a loaded 2-core machine; far below what an unbounded fetch takes. */
  static final Duration SLACK = Duration.ofSeconds(3);

  @TempDir Path tmp;

  GitAllowListSource source(String url, Duration timeout) {
    return new GitAllowListSource(
        new GitSourceSettings(
            url,
            "main",
            "allowlist.yaml",
            tmp.resolve("cache"),
            Optional.empty(),
            Optional.empty(),
            true,
            Optional.empty(),
            timeout));
  }

  /** Fetches once; returns the error and checks the time it took. */
  SourceException fetchFailsWithin(GitAllowListSource source, Duration bound) {
    return assertTimeoutPreemptively(
        bound.plusSeconds(5),
        () -> {
          long start = System.nanoTime();
          Throwable thrown = catchThrowable(source::fetch);
          Duration took = Duration.ofNanos(System.nanoTime() - start);
          assertThat(thrown).isInstanceOf(SourceException.class);
          assertThat(took).isLessThan(bound);
          return (SourceException) thrown;
        });
  }

  @Test
  void gitDaemonThatAcceptsAndNeverAnswersIsStoppedAtTheDeadline() throws Exception {
    try (HostileRemote remote = HostileRemote.start(HostileRemote.Behaviour.SILENT);
        GitAllowListSource source =
            source("git://127.0.0.1:" + remote.port() + "/origin.git", DEADLINE)) {
      SourceException e = fetchFailsWithin(source, DEADLINE.plus(SLACK));
      assertThat(e.getMessage())
          .contains("git fetch from git://127.0.0.1:" + remote.port())
          .contains("did not finish within 3 s (allowlist.git.timeout)");
    }
  }

  @Test
  void httpRemoteTricklingOneByteAtATimeIsStoppedAtTheDeadline() throws Exception {
    try (HostileRemote remote = HostileRemote.start(HostileRemote.Behaviour.TRICKLE_HTTP);
        GitAllowListSource source =
            source("http://127.0.0.1:" + remote.port() + "/origin.git", DEADLINE)) {
      SourceException e = fetchFailsWithin(source, DEADLINE.plus(SLACK));
      assertThat(e.getMessage()).contains("did not finish within 3 s");
    }
  }

  @Test
  void endlessRefAdvertisementIsCutAtItsCap() throws Exception {
    try (HostileRemote remote = HostileRemote.start(HostileRemote.Behaviour.ENDLESS_REFS_HTTP);
        GitAllowListSource source =
            source("http://127.0.0.1:" + remote.port() + "/origin.git", Duration.ofSeconds(60))) {
      SourceException e = fetchFailsWithin(source, Duration.ofSeconds(30));
      assertThat(e.getMessage())
          .contains("advertised more than " + GitBounds.MAX_REF_ADVERTISEMENT_BYTES + " bytes of refs");
    }
  }

  @Test
  void interruptingTheCallerStopsTheFetchAndKeepsTheInterrupt() throws Exception {
    try (HostileRemote remote = HostileRemote.start(HostileRemote.Behaviour.TRICKLE_HTTP);
        GitAllowListSource source =
            source("http://127.0.0.1:" + remote.port() + "/origin.git", Duration.ofMinutes(5))) {
      AtomicBoolean stillInterrupted = new AtomicBoolean();
      CompletableFuture<Throwable> outcome = new CompletableFuture<>();
      Thread caller =
          new Thread(
              () -> {
                Throwable t = catchThrowable(source::fetch);
                stillInterrupted.set(Thread.currentThread().isInterrupted());
                outcome.complete(t);
              });
      caller.start();
      assertThat(remote.awaitConnection(30_000)).isTrue();
      caller.interrupt();

      Throwable thrown = outcome.get(SLACK.toMillis(), TimeUnit.MILLISECONDS);
      assertThat(thrown).isInstanceOf(SourceException.class).hasMessageContaining("interrupted");
      assertThat(stillInterrupted).isTrue();
    }
  }

  @Test
  void aFetchReceivingMoreThanItsByteCapIsStopped() throws Exception {
    GitCli.assumePresent();
    GitRepoFixture repo = GitRepoFixture.create(tmp.resolve("repos"));
    // random bytes do not compress: the pack is as large as the file
    byte[] noise = new byte[256 * 1024];
    new java.util.Random(42).nextBytes(noise);
    repo.commit("noise.txt", java.util.Base64.getEncoder().encodeToString(noise), "noise");
    repo.commit("allowlist.yaml", "allow:\n  - a.example.com\n", "list");
    GitBounds small = new GitBounds(GitBounds.MAX_REF_ADVERTISEMENT_BYTES, 64 * 1024, 1024);
    try (GitHttpBackendServer http =
            GitHttpBackendServer.start(repo.root(), repo.home(), "t0ken-for-loopback");
        GitAllowListSource source =
            new GitAllowListSource(
                new GitSourceSettings(
                    http.url("origin.git"),
                    "main",
                    "allowlist.yaml",
                    tmp.resolve("cache"),
                    Optional.empty(),
                    Optional.empty(),
                    true,
                    Optional.of("t0ken-for-loopback"),
                    Duration.ofSeconds(60)),
                small)) {
      SourceException e = fetchFailsWithin(source, Duration.ofSeconds(60));
      assertThat(e.getMessage()).contains("sent more than 65536 bytes in one fetch");
    }
  }
}
