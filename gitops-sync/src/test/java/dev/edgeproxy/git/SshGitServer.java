package dev.edgeproxy.git;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/**
 * An ssh server for git on 127.0.0.1 without a system sshd: Apache MINA sshd in-process with an
 * ed25519 host key, public-key authentication only, and exec requests {@code git-upload-pack
 * '<path>'} served by the real {@code git upload-pack} (paths are relative to the base path).
 */
final class SshGitServer implements AutoCloseable {
  private static final Pattern UPLOAD_PACK = Pattern.compile("git[ -]upload-pack '?/?([^']+)'?");

  private final SshServer server;
  private final KeyPair hostKey;

  private SshGitServer(SshServer server, KeyPair hostKey) {
    this.server = server;
    this.hostKey = hostKey;
  }

  static KeyPair ed25519() throws Exception {
    return KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
  }

  static SshGitServer start(Path basePath, Path home, PublicKey authorizedUserKey)
      throws Exception {
    KeyPair hostKey = ed25519();
    SshServer server = SshServer.setUpDefaultServer();
    server.setHost("127.0.0.1");
    server.setPort(0);
    server.setKeyPairProvider(KeyPairProvider.wrap(hostKey));
    server.setPasswordAuthenticator(null);
    server.setKeyboardInteractiveAuthenticator(null);
    server.setPublickeyAuthenticator(
        (user, key, session) -> KeyUtils.compareKeys(key, authorizedUserKey));
    server.setCommandFactory((channel, command) -> new UploadPack(basePath, home, command));
    server.start();
    return new SshGitServer(server, hostKey);
  }

  int port() {
    return ((InetSocketAddress) server.getBoundAddresses().iterator().next()).getPort();
  }

  /** {@code ssh://git@127.0.0.1:PORT/<name>} */
  String url(String repoName) {
    return "ssh://git@127.0.0.1:" + port() + "/" + repoName;
  }

  /** The known_hosts line for this server. */
  String knownHostsLine() {
    return "[127.0.0.1]:" + port() + " " + PublicKeyEntry.toString(hostKey.getPublic());
  }

  @Override
  public void close() throws IOException {
    server.stop(true);
  }

  /** One {@code git upload-pack} process, its streams pumped to and from the channel. */
  private static final class UploadPack implements Command {
    private final Path basePath;
    private final Path home;
    private final String command;
    private InputStream in;
    private OutputStream out;
    private OutputStream err;
    private ExitCallback exit;
    private Process process;

    UploadPack(Path basePath, Path home, String command) {
      this.basePath = basePath;
      this.home = home;
      this.command = command;
    }

    @Override
    public void setInputStream(InputStream in) {
      this.in = in;
    }

    @Override
    public void setOutputStream(OutputStream out) {
      this.out = out;
    }

    @Override
    public void setErrorStream(OutputStream err) {
      this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback exit) {
      this.exit = exit;
    }

    @Override
    public void start(ChannelSession channel, Environment env) throws IOException {
      Matcher m = UPLOAD_PACK.matcher(command.strip());
      if (!m.matches()) {
        err.write(("only git-upload-pack is served, not: " + command + "\n").getBytes());
        err.flush();
        exit.onExit(1);
        return;
      }
      ProcessBuilder pb =
          new ProcessBuilder("git", "upload-pack", "--strict", basePath.resolve(m.group(1)).toString());
      GitCli.isolate(pb.environment(), home);
      String protocol = env.getEnv().get("GIT_PROTOCOL");
      if (protocol != null) {
        pb.environment().put("GIT_PROTOCOL", protocol);
      }
      process = pb.start();
      Thread toProcess = pump(in, process.getOutputStream(), true, "ssh-in");
      Thread fromProcess = pump(process.getInputStream(), out, false, "ssh-out");
      Thread errors = pump(process.getErrorStream(), err, false, "ssh-err");
      Thread waiter =
          new Thread(
              () -> {
                try {
                  int code = process.waitFor();
                  fromProcess.join(10_000);
                  errors.join(10_000);
                  toProcess.interrupt();
                  exit.onExit(code);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "ssh-exit");
      waiter.setDaemon(true);
      waiter.start();
    }

    private static Thread pump(InputStream from, OutputStream to, boolean closeTo, String name) {
      Thread t =
          new Thread(
              () -> {
                byte[] buf = new byte[8192];
                try {
                  for (int n; (n = from.read(buf)) >= 0; ) {
                    to.write(buf, 0, n);
                    to.flush();
                  }
                } catch (IOException ignored) {
                  // the other side went away; the exit status tells the story
                } finally {
                  if (closeTo) {
                    try {
                      to.close();
                    } catch (IOException ignored) {
                      // already closed
                    }
                  }
                }
              },
              name);
      t.setDaemon(true);
      t.start();
      return t;
    }

    @Override
    public void destroy(ChannelSession channel) {
      if (process != null) {
        process.destroy();
      }
    }
  }
}
