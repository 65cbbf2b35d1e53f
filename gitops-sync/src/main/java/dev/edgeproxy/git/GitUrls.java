package dev.edgeproxy.git;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.transport.URIish;

/**
 * URL helpers that keep credentials out of logs, error messages and files on disk.
 *
 * <p>A credential can sit in three places of an http(s) URL: the password ({@code
 * https://user:TOKEN@host}), the user name ({@code https://ghp_TOKEN@host}, GitHub's
 * token-as-username form) and the query ({@code ?private_token=TOKEN}, {@code ?access_token=}).
 * For http(s) every one of them is treated as secret; for ssh only the password is (the user name
 * there, {@code git@host}, is an account name, not a credential).
 */
final class GitUrls {
  static final String HIDDEN = "***";

  // scheme://userinfo@host → scheme://***@host, for strings URIish cannot parse
  private static final Pattern USERINFO = Pattern.compile("(://)[^/@?#]*@");
  // ?name=value&name2=value2 → ?name=***&name2=***
  private static final Pattern QUERY_VALUE = Pattern.compile("([?&][^=&#]*)=([^&#]*)");

  private GitUrls() {}

  /** True for {@code http://} and {@code https://} URLs. */
  static boolean isHttp(String url) {
    String lower = url.strip().toLowerCase(Locale.ROOT);
    return lower.startsWith("http://") || lower.startsWith("https://");
  }

  /** True for {@code http://} (cleartext) URLs. */
  static boolean isCleartextHttp(String url) {
    return url.strip().toLowerCase(Locale.ROOT).startsWith("http://");
  }

  /** The URL with every credential replaced by {@code ***}: fit for logs, messages and disk. */
  static String redact(String url) {
    if (isHttp(url)) {
      String out = USERINFO.matcher(url).replaceFirst("$1" + HIDDEN + "@");
      return QUERY_VALUE.matcher(out).replaceAll("$1=" + HIDDEN);
    }
    try {
      URIish uri = new URIish(url);
      if (uri.getPass() != null) {
        return uri.setPass(HIDDEN).toString();
      }
      return url;
    } catch (URISyntaxException e) {
      return url.replaceAll("(://[^/@:]*):[^/@]*@", "$1:" + HIDDEN + "@");
    }
  }

  /**
   * The URL the network is given: for http(s), without user and password (they travel through a
   * {@link HostBoundCredentials} bound to this host only, and never land in the cache's files);
   * any other URL unchanged.
   */
  static String withoutUserInfo(String url) {
    if (!isHttp(url)) {
      return url;
    }
    return USERINFO.matcher(url).replaceFirst("$1");
  }

  /** Every credential in the URL (user and password for http(s), query values), for scrubbing. */
  static List<String> secrets(String url) {
    List<String> out = new ArrayList<>();
    if (isHttp(url)) {
      String user = embeddedUser(url);
      if (user != null && !user.isEmpty()) {
        out.add(user);
      }
      Matcher m = QUERY_VALUE.matcher(url);
      while (m.find()) {
        if (!m.group(2).isEmpty()) {
          out.add(m.group(2));
        }
      }
    }
    String pass = embeddedPassword(url);
    if (pass != null && !pass.isEmpty()) {
      out.add(pass);
    }
    return out;
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

  /** The host of an http(s) URL, lower case; null when it has none. */
  static String host(String url) {
    try {
      String host = new URI(withoutUserInfo(url).strip()).getHost();
      return host == null ? null : host.toLowerCase(Locale.ROOT);
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /** True for {@code localhost} and loopback address literals: traffic that never leaves the node. */
  static boolean isLoopbackHost(String host) {
    if (host == null) {
      return false;
    }
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    return h.equals("localhost") || h.startsWith("127.") || h.equals("::1");
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
