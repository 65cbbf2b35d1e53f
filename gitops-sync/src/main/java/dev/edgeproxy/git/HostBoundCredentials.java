package dev.edgeproxy.git;

import java.util.Locale;
import java.util.Objects;
import org.eclipse.jgit.errors.UnsupportedCredentialItem;
import org.eclipse.jgit.transport.CredentialItem;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.URIish;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The https user name and token, given only to the scheme, host and port they were configured for.
 * A redirect to any other origin (another host, another port, or https to http) is asked for
 * credentials in vain: the token never leaves for a place the operator did not name.
 */
final class HostBoundCredentials extends CredentialsProvider {
  private static final Logger log = LoggerFactory.getLogger(HostBoundCredentials.class);

  private final Origin origin;
  private final String user;
  private final char[] password;

  HostBoundCredentials(Origin origin, String user, String password) {
    this.origin = Objects.requireNonNull(origin, "origin");
    this.user = Objects.requireNonNull(user, "user");
    this.password = password.toCharArray();
  }

  /** Scheme, host and port: where credentials may be sent. */
  record Origin(String scheme, String host, int port) {
    static Origin of(String scheme, String host, int port) {
      String s = scheme.toLowerCase(Locale.ROOT);
      int p = port > 0 ? port : (s.equals("https") ? 443 : 80);
      return new Origin(s, host.toLowerCase(Locale.ROOT), p);
    }

    static Origin of(URIish uri) {
      return of(
          uri.getScheme() == null ? "" : uri.getScheme(),
          uri.getHost() == null ? "" : uri.getHost(),
          uri.getPort());
    }

    static Origin of(java.net.URL url) {
      return of(url.getProtocol(), url.getHost(), url.getPort());
    }

    @Override
    public String toString() {
      return scheme + "://" + host + ":" + port;
    }
  }

  Origin origin() {
    return origin;
  }

  @Override
  public boolean isInteractive() {
    return false;
  }

  @Override
  public boolean supports(CredentialItem... items) {
    for (CredentialItem item : items) {
      if (!(item instanceof CredentialItem.Username) && !(item instanceof CredentialItem.Password)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean get(URIish uri, CredentialItem... items) throws UnsupportedCredentialItem {
    Origin asking = Origin.of(uri);
    if (!origin.equals(asking)) {
      log.warn(
          "git: {} asks for credentials; they are only for {}: not sent", asking, origin);
      return false;
    }
    for (CredentialItem item : items) {
      if (item instanceof CredentialItem.Username u) {
        u.setValue(user);
      } else if (item instanceof CredentialItem.Password p) {
        p.setValue(password.clone());
      } else {
        throw new UnsupportedCredentialItem(uri, item.getClass().getSimpleName());
      }
    }
    return true;
  }
}
