package dev.edgeproxy.git;

import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.SshConfigStore;
import org.eclipse.jgit.transport.sshd.KeyCache;
import org.eclipse.jgit.transport.sshd.DefaultProxyDataFactory;
import org.eclipse.jgit.transport.sshd.ServerKeyDatabase;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.agent.ConnectorFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ssh client (Apache MINA sshd through JGit) for ssh URLs. It uses exactly the configured
 * identity and known_hosts file and ignores {@code ~/.ssh/config} and any ssh agent, so that what
 * the operator configured is what runs. ed25519 keys need BouncyCastle on the runtime classpath
 * (sshd finds it by itself).
 */
final class SshSupport extends SshdSessionFactory {
  private static final Logger log = LoggerFactory.getLogger(SshSupport.class);

  private final Optional<Path> identity;
  private final Path knownHosts;
  private final boolean strict;
  /** Why the last host key was refused, to turn sshd's terse error into advice. */
  private final AtomicReference<String> lastRejection = new AtomicReference<>();
  private final AtomicBoolean warnedUnchecked = new AtomicBoolean();

  SshSupport(Optional<Path> identity, Optional<Path> knownHosts, boolean strict) {
    super((KeyCache) null, new DefaultProxyDataFactory());
    this.identity = identity.map(p -> p.toAbsolutePath().normalize());
    this.knownHosts =
        knownHosts
            .orElseGet(() -> Path.of(System.getProperty("user.home"), ".ssh", "known_hosts"))
            .toAbsolutePath()
            .normalize();
    this.strict = strict;
    // JGit wants a home and an ssh directory; the known_hosts directory keeps it away from ~/.ssh
    Path dir = this.knownHosts.getParent();
    File home = dir == null ? new File("/") : dir.toFile();
    setHomeDirectory(home);
    setSshDirectory(home);
  }

  /** The advice for the last refused host key, consumed once. */
  Optional<String> takeRejection() {
    return Optional.ofNullable(lastRejection.getAndSet(null));
  }

  @Override
  protected File getSshConfig(File sshDir) {
    return null; // no ~/.ssh/config: the settings are the whole truth
  }

  @Override
  protected SshConfigStore createSshConfigStore(File homeDir, File configFile, String localUser) {
    return null;
  }

  @Override
  protected List<Path> getDefaultIdentities(File sshDir) {
    return identity.map(List::of).orElse(List.of());
  }

  @Override
  protected List<Path> getDefaultKnownHostsFiles(File sshDir) {
    return List.of(knownHosts);
  }

  @Override
  protected ConnectorFactory getConnectorFactory() {
    return null; // never an ssh agent: a service must not pick up whatever key a shell left there
  }

  @Override
  protected String getDefaultPreferredAuthentications() {
    return "publickey";
  }

  @Override
  protected ServerKeyDatabase createServerKeyDatabase(File homeDir, File sshDir) {
    ServerKeyDatabase openSsh = super.createServerKeyDatabase(homeDir, sshDir);
    return new HostKeyPolicy(openSsh);
  }

  /**
   * Known-hosts checking without questions: a service cannot answer "are you sure?". Strict mode
   * accepts only a key listed in the known_hosts file (never adds one); otherwise anything goes.
   */
  private final class HostKeyPolicy implements ServerKeyDatabase {
    private final ServerKeyDatabase openSsh;

    HostKeyPolicy(ServerKeyDatabase openSsh) {
      this.openSsh = openSsh;
    }

    @Override
    public List<PublicKey> lookup(
        String connectAddress, InetSocketAddress remoteAddress, Configuration config) {
      return openSsh.lookup(connectAddress, remoteAddress, new RequireMatch(config));
    }

    @Override
    public boolean accept(
        String connectAddress,
        InetSocketAddress remoteAddress,
        PublicKey serverKey,
        Configuration config,
        CredentialsProvider provider) {
      if (!strict) {
        if (!warnedUnchecked.getAndSet(true)) {
          log.warn(
              "ssh host key of {} accepted without checking (strictHostKeyChecking=false)",
              connectAddress);
        }
        return true;
      }
      Configuration requireMatch = new RequireMatch(config);
      if (openSsh.accept(connectAddress, remoteAddress, serverKey, requireMatch, null)) {
        return true;
      }
      List<PublicKey> known = openSsh.lookup(connectAddress, remoteAddress, requireMatch);
      lastRejection.set(advice(connectAddress, remoteAddress, serverKey, known.isEmpty()));
      return false;
    }

    private String advice(
        String connectAddress, InetSocketAddress remote, PublicKey key, boolean unknown) {
      int port = remote.getPort();
      String type = keyscanType(key);
      String keyscan =
          "ssh-keyscan " + (port == 22 ? "" : "-p " + port + " ") + "-t " + type + " "
              + hostOnly(connectAddress) + " >> " + knownHosts;
      if (unknown) {
        if (!Files.exists(knownHosts)) {
          return "ssh host " + connectAddress + " is unknown: known_hosts file " + knownHosts
              + " does not exist; check the host key fingerprint out of band, then add it with: "
              + keyscan;
        }
        return "ssh host " + connectAddress + " is not in " + knownHosts
            + "; check the host key fingerprint out of band, then add it with: " + keyscan;
      }
      return "ssh host key of " + connectAddress + " does not match the one in " + knownHosts
          + " (the key changed, or someone is in the middle); if the change is expected, remove"
          + " the old line and add the new key with: " + keyscan;
    }

    private String keyscanType(PublicKey key) {
      String algorithm = key.getAlgorithm().toUpperCase(Locale.ROOT);
      if (algorithm.contains("ED25519") || algorithm.contains("EDDSA")) {
        return "ed25519";
      }
      if (algorithm.startsWith("EC")) {
        return "ecdsa";
      }
      return algorithm.equals("RSA") ? "rsa" : algorithm.toLowerCase(Locale.ROOT);
    }

    private String hostOnly(String connectAddress) {
      // "[host]:port" as known_hosts writes it → host
      if (connectAddress.startsWith("[")) {
        int end = connectAddress.indexOf(']');
        if (end > 0) {
          return connectAddress.substring(1, end);
        }
      }
      return connectAddress;
    }
  }

  /** The caller's ssh configuration with host key checking forced to "must match". */
  private record RequireMatch(ServerKeyDatabase.Configuration base)
      implements ServerKeyDatabase.Configuration {
    @Override
    public List<String> getUserKnownHostsFiles() {
      return List.of(); // empty → the default files, i.e. our known_hosts only
    }

    @Override
    public List<String> getGlobalKnownHostsFiles() {
      return List.of();
    }

    @Override
    public StrictHostKeyChecking getStrictHostKeyChecking() {
      return StrictHostKeyChecking.REQUIRE_MATCH;
    }

    @Override
    public boolean getHashKnownHosts() {
      return false;
    }

    @Override
    public String getUsername() {
      return base.getUsername();
    }
  }
}
