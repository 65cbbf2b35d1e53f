package dev.edgeproxy.config;

import dev.edgeproxy.config.AllowListConfig.FileSourceConfig;
import dev.edgeproxy.config.AllowListConfig.GitSourceConfig;
import dev.edgeproxy.config.AllowListConfig.Route53SourceConfig;
import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.config.ConfigReader.Val;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Reads {@code allowlist}: the guard settings and the file, Git and Route53 sources. */
final class AllowListSection {
  private final ConfigReader r;

  AllowListSection(ConfigReader r) {
    this.r = r;
  }

  private record Schedule(Optional<Duration> interval, Optional<String> cron) {}

  AllowListConfig allowlist(M root) {
    M a = r.map(root, "allowlist", AllowListConfig.class);
    double maxShrink = AllowListConfig.DEFAULT_MAX_SHRINK;
    Val ms = r.val(a, "maxShrink");
    if (ms != null && ms.text() != null) {
      Optional<Double> share = ConfigValues.parseShare(ms.text());
      if (share.isEmpty()) {
        r.problem(ms.node(), ms.path(), "invalid share '" + ms.text() + "' (use 50% or 0.5)");
      } else if (!(share.get() >= 0 && share.get() <= 1)) {
        r.problem(ms.node(), ms.path(), "'" + ms.text() + "' is not in 0..100% (use 50% or 0.5)");
      } else {
        maxShrink = share.get();
      }
    }
    Optional<Duration> closeRevokedAfter = Optional.empty();
    Val cra = r.val(a, "closeRevokedAfter");
    if (cra != null && cra.text() != null && !cra.text().strip().equals("never")) {
      Optional<Duration> d = ConfigValues.parseDuration(cra.text());
      if (d.isEmpty()) {
        r.problem(cra.node(), cra.path(), "invalid duration '" + cra.text() + "' (use never, 500ms, 10s, 5m, 1h)");
      } else {
        closeRevokedAfter = d;
      }
    }
    Optional<FileSourceConfig> file = Optional.empty();
    M fm = r.map(a, "file", FileSourceConfig.class);
    if (fm.present()) {
      Val pv = r.val(fm, "path");
      if (pv == null) {
        r.missing(fm, "path");
      } else if (pv.text() != null) {
        r.allowListFileLine = pv.node().line();
        r.allowListFileColumn = pv.node().column();
        file = r.toPath(pv).map(FileSourceConfig::new);
      }
    }
    return new AllowListConfig(
        r.path(a, "stateFile"),
        maxShrink,
        r.bool(a, "enforce", true),
        closeRevokedAfter,
        file,
        git(a),
        route53(a),
        r.positiveDuration(a, "sourceTimeout", AllowListConfig.DEFAULT_SOURCE_TIMEOUT),
        r.positiveDuration(a, "readinessTimeout", AllowListConfig.DEFAULT_READINESS_TIMEOUT));
  }

  /** interval/cron pair: exactly one present; interval 5m when neither is written. */
  private Schedule schedule(M m) {
    Optional<String> cron = Optional.empty();
    Val c = r.val(m, "cron");
    if (c != null && c.text() != null) {
      String[] fields = c.text().strip().split("\\s+");
      if (fields.length < 6 || fields.length > 7) {
        r.problem(
            c.node(),
            c.path(),
            "cron '" + c.text() + "' has " + fields.length
                + " fields; Quartz needs 6 or 7 (sec min hour day month weekday [year])");
      } else {
        // Quartz's own parser, so that validate refuses what run would refuse
        Optional<String> refused = CronCheck.problem(c.text().strip());
        if (refused.isPresent()) {
          r.problem(c.node(), c.path(), "cron '" + c.text().strip() + "': " + refused.get());
        } else {
          cron = Optional.of(c.text().strip());
        }
      }
    }
    Val i = r.val(m, "interval");
    Optional<Duration> interval = Optional.empty();
    if (i != null && i.text() != null) {
      Duration d = r.duration(i, null);
      if (d != null && d.isZero()) {
        r.problem(i.node(), i.path(), "must be more than 0");
      } else if (d != null) {
        interval = Optional.of(d);
      }
      if (c != null) {
        r.problem(i.node(), i.path(), "set either interval or cron, not both");
      }
    }
    if (cron.isEmpty() && interval.isEmpty()) {
      interval = Optional.of(AllowListConfig.DEFAULT_SOURCE_INTERVAL);
    }
    if (cron.isPresent() && interval.isPresent()) {
      interval = Optional.empty();
    }
    return new Schedule(interval, cron);
  }

  Optional<GitSourceConfig> git(M a) {
    M g = r.map(a, "git", GitSourceConfig.class);
    if (!g.present()) {
      return Optional.empty();
    }
    String url = r.required(g, "url");
    Schedule schedule = schedule(g);
    Optional<String> tokenEnv = envName(g, "tokenEnv");
    if (tokenEnv.isPresent() && url != null && cleartextToAnotherHost(url)) {
      Val t = r.val(g, "tokenEnv");
      r.problem(
          t.node(),
          t.path(),
          "a token over cleartext http:// could be read on the way; use an https:// URL"
              + " (only a loopback host may take a token over http://)");
    }
    Optional<String> secretEnv = envName(g, "webhookSecretEnv");
    String file = r.string(g, "file", GitSourceConfig.DEFAULT_FILE);
    return Optional.of(
        new GitSourceConfig(
            url == null ? "" : url,
            r.string(g, "branch", GitSourceConfig.DEFAULT_BRANCH),
            file,
            r.path(g, "sshKeyFile"),
            tokenEnv,
            schedule.interval(),
            schedule.cron(),
            secretEnv,
            r.path(g, "knownHostsFile"),
            r.path(g, "cacheDir"),
            r.positiveDuration(g, "timeout", GitSourceConfig.DEFAULT_TIMEOUT)));
  }

  /** An http:// URL to a host other than localhost, 127.0.0.0/8 or ::1. */
  private static boolean cleartextToAnotherHost(String url) {
    String text = url.strip();
    if (!text.regionMatches(true, 0, "http://", 0, 7)) {
      return false;
    }
    try {
      String host = new URI(text).getHost();
      return host == null
          || !(host.equalsIgnoreCase("localhost")
              || host.startsWith("127.")
              || host.equals("[::1]"));
    } catch (URISyntaxException e) {
      return true;
    }
  }

  private Optional<String> envName(M m, String key) {
    Val v = r.val(m, key);
    if (v == null || v.text() == null) {
      return Optional.empty();
    }
    if (!ConfigValues.ENV_NAME.matcher(v.text().strip()).matches()) {
      r.problem(
          v.node(),
          v.path(),
          "'" + v.text() + "' is not an environment variable name (give the name, not the secret)");
      return Optional.empty();
    }
    return Optional.of(v.text().strip());
  }

  Optional<Route53SourceConfig> route53(M a) {
    M zone = r.map(a, "route53", Route53SourceConfig.class);
    if (!zone.present()) {
      return Optional.empty();
    }
    List<String> zones = nonEmptyStrings(zone, "hostedZones");
    List<String> pointing = nonEmptyStrings(zone, "pointingAt");
    Schedule schedule = schedule(zone);
    Optional<URI> endpoint = Optional.empty();
    Val e = r.val(zone, "endpoint");
    if (e != null && e.text() != null) {
      try {
        URI uri = new URI(e.text().strip());
        if (uri.getScheme() == null
            || !(uri.getScheme().equals("http") || uri.getScheme().equals("https"))
            || uri.getHost() == null) {
          r.problem(e.node(), e.path(), "expected an http(s) URL, got '" + e.text() + "'");
        } else {
          endpoint = Optional.of(uri);
        }
      } catch (URISyntaxException ex) {
        r.problem(e.node(), e.path(), "invalid URL '" + e.text() + "'");
      }
    }
    return Optional.of(
        new Route53SourceConfig(
            zones,
            pointing,
            schedule.interval(),
            schedule.cron(),
            r.string(zone, "region", Route53SourceConfig.DEFAULT_REGION),
            endpoint,
            r.positiveDuration(zone, "timeout", Route53SourceConfig.DEFAULT_TIMEOUT)));
  }

  private List<String> nonEmptyStrings(M m, String key) {
    List<Val> vals = r.vals(m, key);
    if (vals == null) {
      r.missing(m, key);
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Val v : vals) {
      if (v.text().isBlank()) {
        r.problem(v.node(), v.path(), "must not be empty");
      } else {
        out.add(v.text().strip());
      }
    }
    if (out.isEmpty() && m.field(key).value().isList()) {
      r.problem(m.field(key).value(), m.at(key), "needs at least one value");
    }
    return out;
  }
}
