package dev.edgeproxy.server.sources;

import dev.edgeproxy.allowlist.AllowListSource;
import dev.edgeproxy.config.AllowListConfig;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.dns.Route53AllowListSource;
import dev.edgeproxy.dns.Route53SourceSettings;
import dev.edgeproxy.git.GitAllowListSource;
import dev.edgeproxy.git.GitSourceSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the remote allow-list sources (Git, Route53) and their schedules from the config. */
public final class Sources {
  private static final Logger log = LoggerFactory.getLogger(Sources.class);

  private Sources() {}

  /** @param gitCache overrides the Git cache folder (a dry run must not touch the node's cache) */
  public static List<AllowListSource> remote(EdgeProxyConfig config, Optional<Path> gitCache) {
    List<AllowListSource> sources = new ArrayList<>();
    config.allowlist().git().ifPresent(g -> sources.add(git(config, g, gitCache)));
    config.allowlist().route53().ifPresent(r -> sources.add(route53(r)));
    return sources;
  }

  static GitAllowListSource git(
      EdgeProxyConfig config, AllowListConfig.GitSourceConfig g, Optional<Path> cacheOverride) {
    Optional<String> token = Optional.empty();
    if (g.tokenEnv().isPresent()) {
      token = Optional.ofNullable(System.getenv(g.tokenEnv().get()));
      if (token.isEmpty()) {
        log.warn("allowlist.git.tokenEnv names {}, which is not set: fetching without a token", g.tokenEnv().get());
      }
    }
    Path cache = cacheOverride.or(g::cacheDir).orElseGet(() -> defaultGitCache(config, g.url()));
    return new GitAllowListSource(
        new GitSourceSettings(
            g.url(),
            g.branch(),
            g.file(),
            cache,
            g.sshKeyFile(),
            g.knownHostsFile(),
            true,
            token,
            g.timeout()));
  }

  /** Next to the state file (a node's writable state lives together), else in the temp folder. */
  private static Path defaultGitCache(EdgeProxyConfig config, String url) {
    String id = Integer.toHexString(url.hashCode());
    return config
        .allowlist()
        .stateFile()
        .map(f -> f.toAbsolutePath().getParent().resolve("git-cache"))
        .orElseGet(() -> Path.of(System.getProperty("java.io.tmpdir"), "edge-proxy-git-" + id));
  }

  static Route53AllowListSource route53(AllowListConfig.Route53SourceConfig r) {
    return new Route53AllowListSource(
        Route53SourceSettings.of(r.hostedZones(), r.pointingAt(), r.region(), r.endpoint())
            .withApiCallTimeout(r.timeout()));
  }

  public static SourceScheduler.Schedule schedule(EdgeProxyConfig config, String source) {
    AllowListConfig a = config.allowlist();
    Optional<String> cron =
        switch (source) {
          case "git" -> a.git().flatMap(AllowListConfig.GitSourceConfig::cron);
          case "route53" -> a.route53().flatMap(AllowListConfig.Route53SourceConfig::cron);
          default -> Optional.empty();
        };
    if (cron.isPresent()) {
      return SourceScheduler.Schedule.cron(cron.get());
    }
    var interval =
        switch (source) {
          case "git" -> a.git().flatMap(AllowListConfig.GitSourceConfig::interval);
          case "route53" -> a.route53().flatMap(AllowListConfig.Route53SourceConfig::interval);
          default -> Optional.<java.time.Duration>empty();
        };
    if (source.equals(dev.edgeproxy.allowlist.FileAllowListSource.NAME)) {
      // the file is watched (and run on demand), not polled on an interval
      return SourceScheduler.Schedule.onDemand();
    }
    return SourceScheduler.Schedule.every(interval.orElse(AllowListConfig.DEFAULT_SOURCE_INTERVAL));
  }
}
