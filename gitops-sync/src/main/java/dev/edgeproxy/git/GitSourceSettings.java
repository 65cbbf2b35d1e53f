package dev.edgeproxy.git;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the Git allow-list lives and how to reach it.
 *
 * @param url {@code https://}, {@code ssh://} or scp-like {@code git@host:path}, {@code git://},
 *     {@code file://} or a plain local path
 * @param branch branch whose tip is read ({@code main} or {@code refs/heads/main})
 * @param file path of the allow-list file inside the repository ({@code allowlist.yaml})
 * @param cacheDir bare repository owned by this source; wiped and cloned again when it is corrupt
 *     or was cloned from another URL, so it must not be shared with anything else
 * @param sshKeyFile private key for ssh URLs (OpenSSH or PEM format, not passphrase-protected)
 * @param knownHostsFile known_hosts for ssh URLs; default {@code ~/.ssh/known_hosts}
 * @param strictHostKeyChecking ssh: refuse hosts not in {@code knownHostsFile} (the default, true);
 *     false accepts any host key (tests and first bootstrap only)
 * @param token https access token, already read from {@code tokenEnv}; never logged nor shown
 * @param timeout the total deadline of one fetch (connect, every read, the whole transfer): the
 *     fetch is stopped when it passes; default 60 s ({@code allowlist.git.timeout})
 */
public record GitSourceSettings(
    String url,
    String branch,
    String file,
    Path cacheDir,
    Optional<Path> sshKeyFile,
    Optional<Path> knownHostsFile,
    boolean strictHostKeyChecking,
    Optional<String> token,
    Duration timeout) {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  public GitSourceSettings {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(branch, "branch");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(cacheDir, "cacheDir");
    Objects.requireNonNull(sshKeyFile, "sshKeyFile");
    Objects.requireNonNull(knownHostsFile, "knownHostsFile");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(timeout, "timeout");
    if (url.isBlank()) {
      throw new IllegalArgumentException("git url is empty");
    }
    if (branch.startsWith("refs/heads/")) {
      branch = branch.substring("refs/heads/".length());
    }
    if (branch.isBlank()) {
      throw new IllegalArgumentException("git branch is empty");
    }
    // TreeWalk.forPath wants a repository-relative path without leading "./" or "/"
    while (file.startsWith("./") || file.startsWith("/")) {
      file = file.substring(file.charAt(0) == '/' ? 1 : 2);
    }
    if (file.isBlank() || file.endsWith("/")) {
      throw new IllegalArgumentException("git file must name a file inside the repository");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("git timeout must be positive");
    }
    token = token.filter(t -> !t.isEmpty());
    cacheDir = cacheDir.toAbsolutePath().normalize();
  }

  /** Settings with the defaults: no ssh key, default known_hosts, strict checking, no token. */
  public static GitSourceSettings of(String url, String branch, String file, Path cacheDir) {
    return new GitSourceSettings(
        url,
        branch,
        file,
        cacheDir,
        Optional.empty(),
        Optional.empty(),
        true,
        Optional.empty(),
        DEFAULT_TIMEOUT);
  }

  /** Never shows the token. */
  @Override
  public String toString() {
    return "GitSourceSettings[url="
        + GitUrls.redact(url)
        + ", branch="
        + branch
        + ", file="
        + file
        + ", cacheDir="
        + cacheDir
        + ", sshKeyFile="
        + sshKeyFile
        + ", knownHostsFile="
        + knownHostsFile
        + ", strictHostKeyChecking="
        + strictHostKeyChecking
        + ", token="
        + (token.isPresent() ? "<set>" : "<none>")
        + ", timeout="
        + timeout
        + "]";
  }
}
