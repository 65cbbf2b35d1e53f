package dev.edgeproxy.git;

import java.net.URISyntaxException;
import java.util.regex.Pattern;
import org.eclipse.jgit.transport.URIish;

/** URL helpers that keep credentials out of logs and error messages. */
final class GitUrls {
  // scheme://user:password@host → scheme://user:***@host, for strings URIish cannot parse
  private static final Pattern USERINFO_PASSWORD = Pattern.compile("(://[^/@:]*):[^/@]*@");

  private GitUrls() {}

  /** The URL without any password embedded in it. */
  static String redact(String url) {
    try {
      URIish uri = new URIish(url);
      if (uri.getPass() != null) {
        return uri.setPass("***").toString();
      }
      return url;
    } catch (URISyntaxException e) {
      return USERINFO_PASSWORD.matcher(url).replaceAll("$1:***@");
    }
  }

  /** The password embedded in the URL, if any. */
  static String embeddedPassword(String url) {
    try {
      return new URIish(url).getPass();
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /** The user name embedded in the URL, if any. */
  static String embeddedUser(String url) {
    try {
      return new URIish(url).getUser();
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /** True for {@code ssh://} and scp-like {@code user@host:path} URLs. */
  static boolean isSsh(String url) {
    try {
      URIish uri = new URIish(url);
      String scheme = uri.getScheme();
      if (scheme == null) {
        return uri.getHost() != null;
      }
      return scheme.equals("ssh") || scheme.equals("ssh+git") || scheme.equals("git+ssh");
    } catch (URISyntaxException e) {
      return false;
    }
  }
}
