package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigSchema.Cron;
import dev.edgeproxy.config.ConfigSchema.Default;
import dev.edgeproxy.config.ConfigSchema.EnvName;
import dev.edgeproxy.config.ConfigSchema.NoneWord;
import dev.edgeproxy.config.ConfigSchema.OneOf;
import dev.edgeproxy.config.ConfigSchema.Positive;
import dev.edgeproxy.config.ConfigSchema.Required;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code allowlist}: where the allow-list comes from and how changes are applied.
 *
 * @param stateFile last good snapshot, written atomically after each change and loaded at start;
 *     empty (default) = not persisted
 * @param maxShrink the share (0..1) of effective hosts a change may remove before it is held back
 *     until forced; default 0.5 ({@code 50%})
 * @param enforce false = shadow mode (would-be refusals are forwarded, logged and counted); default
 *     true
 * @param closeRevokedAfter open connections to a revoked host are closed this long after the
 *     change; empty = never (default)
 * @param file the local allow-list file, if any
 * @param git the Git source, if any
 * @param route53 the Route53 source, if any
 * @param sourceTimeout the longest one run of a source may take (fetch and parse, retries
 *     included); past it the run is interrupted and counts as failed; default 2m
 * @param readinessTimeout how long a node without a usable state file waits for a good answer from
 *     every source before it becomes ready with what it has; default 5m
 */
public record AllowListConfig(
    Optional<Path> stateFile,
    @Default("50%") double maxShrink,
    @Default("true") boolean enforce,
    @NoneWord("never") Optional<Duration> closeRevokedAfter,
    Optional<FileSourceConfig> file,
    Optional<GitSourceConfig> git,
    Optional<Route53SourceConfig> route53,
    @Default("2m") @Positive Duration sourceTimeout,
    @Default("5m") @Positive Duration readinessTimeout) {
  /** Every key at its default (as the annotations above declare): no source. */
  public static final AllowListConfig DEFAULT = RecordBinder.defaults(AllowListConfig.class);
  public static final double DEFAULT_MAX_SHRINK = DEFAULT.maxShrink();
  public static final Duration DEFAULT_SOURCE_TIMEOUT = DEFAULT.sourceTimeout();
  public static final Duration DEFAULT_READINESS_TIMEOUT = DEFAULT.readinessTimeout();
  /** Default {@code interval} of the Git and Route53 sources when neither interval nor cron is set. */
  public static final Duration DEFAULT_SOURCE_INTERVAL =
      (Duration) RecordBinder.defaultOf(GitSourceConfig.class, "interval");

  public AllowListConfig {
    Objects.requireNonNull(stateFile, "stateFile");
    if (!(maxShrink >= 0 && maxShrink <= 1)) {
      throw new IllegalArgumentException("maxShrink must be in 0..1: " + maxShrink);
    }
    Objects.requireNonNull(closeRevokedAfter, "closeRevokedAfter");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(git, "git");
    Objects.requireNonNull(route53, "route53");
    Objects.requireNonNull(sourceTimeout, "sourceTimeout");
    Objects.requireNonNull(readinessTimeout, "readinessTimeout");
  }

  /**
   * {@code allowlist.file}.
   *
   * @param path the allow-list file (same format as {@code allowlist.example.yaml}); re-read when it
   *     changes. A relative path is relative to the config file's directory.
   */
  public record FileSourceConfig(@Required Path path) {
    public FileSourceConfig {
      Objects.requireNonNull(path, "path");
    }
  }

  /**
   * {@code allowlist.git}. Exactly one of {@link #interval()} and {@link #cron()} is present
   * (interval 5m when neither is written).
   *
   * @param url ssh, https, git://, file:// URL or a local path
   * @param branch default {@code main}
   * @param file path of the allow-list file inside the repository; default {@code allowlist.yaml}
   * @param sshKeyFile private key for ssh URLs
   * @param tokenEnv name of the environment variable holding the token for https URLs (the token
   *     itself is never in the config)
   * @param interval poll interval
   * @param cron Quartz cron expression instead of an interval
   * @param webhookSecretEnv name of the environment variable holding the webhook secret
   * @param knownHostsFile known_hosts for ssh URLs; empty = the user's default
   * @param cacheDir where the local clone is kept; empty = a directory chosen by the Git source
   * @param timeout the total deadline of one fetch (not per read); default 60 s
   */
  @OneOf({"interval", "cron"})
  public record GitSourceConfig(
      @Required String url,
      @Default("main") String branch,
      @Default("allowlist.yaml") String file,
      Optional<Path> sshKeyFile,
      @EnvName Optional<String> tokenEnv,
      @Default("5m") @Positive Optional<Duration> interval,
      @Cron Optional<String> cron,
      @EnvName Optional<String> webhookSecretEnv,
      Optional<Path> knownHostsFile,
      Optional<Path> cacheDir,
      @Default("60s") @Positive Duration timeout) {
    public GitSourceConfig {
      Objects.requireNonNull(url, "url");
      Objects.requireNonNull(branch, "branch");
      Objects.requireNonNull(file, "file");
      Objects.requireNonNull(sshKeyFile, "sshKeyFile");
      Objects.requireNonNull(tokenEnv, "tokenEnv");
      Objects.requireNonNull(interval, "interval");
      Objects.requireNonNull(cron, "cron");
      Objects.requireNonNull(webhookSecretEnv, "webhookSecretEnv");
      Objects.requireNonNull(knownHostsFile, "knownHostsFile");
      Objects.requireNonNull(cacheDir, "cacheDir");
      Objects.requireNonNull(timeout, "timeout");
    }
  }

  /**
   * {@code allowlist.route53}. Exactly one of {@link #interval()} and {@link #cron()} is present
   * (interval 5m when neither is written).
   *
   * @param hostedZones zone ids or zone names, as written
   * @param pointingAt IP addresses and names; a record is public when it is A/AAAA with one of these
   *     values, a CNAME to one of these names, or an alias whose target is one of them
   * @param interval poll interval
   * @param cron Quartz cron expression instead of an interval
   * @param region AWS region; default {@code us-east-1}
   * @param endpoint API endpoint override (tests, LocalStack)
   * @param timeout the total deadline of one fetch, every zone, page and retry; default 60 s
   */
  @OneOf({"interval", "cron"})
  public record Route53SourceConfig(
      @Required List<String> hostedZones,
      @Required List<String> pointingAt,
      @Default("5m") @Positive Optional<Duration> interval,
      @Cron Optional<String> cron,
      @Default("us-east-1") String region,
      Optional<URI> endpoint,
      @Default("60s") @Positive Duration timeout) {
    public Route53SourceConfig {
      hostedZones = List.copyOf(hostedZones);
      pointingAt = List.copyOf(pointingAt);
      Objects.requireNonNull(interval, "interval");
      Objects.requireNonNull(cron, "cron");
      Objects.requireNonNull(region, "region");
      Objects.requireNonNull(endpoint, "endpoint");
      Objects.requireNonNull(timeout, "timeout");
    }
  }
}
