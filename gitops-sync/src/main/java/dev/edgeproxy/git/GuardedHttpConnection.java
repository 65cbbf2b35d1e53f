package dev.edgeproxy.git;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Proxy;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.eclipse.jgit.transport.http.JDKHttpConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One http(s) request of a fetch, under the fetch's {@link FetchGuard}: connect and read timeouts
 * never exceed the time left, every read first checks the deadline and the stop request, every
 * byte is counted against the caps, and an {@code Authorization} header is only ever set for the
 * origin the credentials belong to (JGit follows redirects itself, so a redirect to another host
 * is a new connection, which gets no credentials).
 */
final class GuardedHttpConnection extends JDKHttpConnection {
  private static final Logger log = LoggerFactory.getLogger(GuardedHttpConnection.class);
  private static final byte[] LS_REFS = "command=ls-refs".getBytes(StandardCharsets.US_ASCII);
  private static final int SNIFF = 32;

  private final FetchGuard guard;
  private final HostBoundCredentials.Origin credentialsOrigin;
  private final HostBoundCredentials.Origin origin;
  private final byte[] requestStart = new byte[SNIFF];
  private int requestStartLength;

  GuardedHttpConnection(
      URL url, Proxy proxy, FetchGuard guard, HostBoundCredentials.Origin credentialsOrigin)
      throws IOException {
    super(url, proxy == null ? Proxy.NO_PROXY : proxy);
    this.guard = guard;
    this.credentialsOrigin = credentialsOrigin;
    this.origin = HostBoundCredentials.Origin.of(url);
    super.setConnectTimeout(guard.remainingMillis());
    super.setReadTimeout(guard.remainingMillis());
  }

  @Override
  public void setRequestProperty(String key, String value) {
    if ("Authorization".equalsIgnoreCase(key) && !origin.equals(credentialsOrigin)) {
      log.warn("git: not sending credentials to {}: they are only for {}", origin, credentialsOrigin);
      return;
    }
    super.setRequestProperty(key, value);
  }

  @Override
  public void setConnectTimeout(int millis) {
    super.setConnectTimeout(clamp(millis));
  }

  @Override
  public void setReadTimeout(int millis) {
    super.setReadTimeout(clamp(millis));
  }

  /** Redirects are JGit's to follow (a new connection each), never the JDK's behind our back. */
  @Override
  public void setInstanceFollowRedirects(boolean followRedirects) {
    super.setInstanceFollowRedirects(false);
  }

  private int clamp(int millis) {
    int left = guard.remainingMillis();
    return millis <= 0 ? left : Math.min(millis, left);
  }

  @Override
  public OutputStream getOutputStream() throws IOException {
    return new FilterOutputStream(super.getOutputStream()) {
      @Override
      public void write(int b) throws IOException {
        remember(new byte[] {(byte) b}, 0, 1);
        out.write(b);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        remember(b, off, len);
        out.write(b, off, len);
      }
    };
  }

  private void remember(byte[] b, int off, int len) {
    int n = Math.min(len, SNIFF - requestStartLength);
    if (n > 0) {
      System.arraycopy(b, off, requestStart, requestStartLength, n);
      requestStartLength += n;
    }
  }

  @Override
  public InputStream getInputStream() throws IOException {
    guard.checkRead();
    long cap = listsRefs() ? guard.bounds().maxRefAdvertisementBytes() : Long.MAX_VALUE;
    return new GuardedInputStream(super.getInputStream(), cap);
  }

  /** The GET of {@code info/refs}, or a protocol v2 {@code ls-refs} command. */
  private boolean listsRefs() {
    if ("GET".equals(getRequestMethod())) {
      return true;
    }
    // a pkt-line: four hex digits of length, then the command
    return requestStartLength >= 4 + LS_REFS.length
        && Arrays.equals(
            requestStart, 4, 4 + LS_REFS.length, LS_REFS, 0, LS_REFS.length);
  }

  private final class GuardedInputStream extends FilterInputStream {
    private final long cap;
    private long count;

    GuardedInputStream(InputStream in, long cap) {
      super(in);
      this.cap = cap;
    }

    @Override
    public int read() throws IOException {
      guard.checkRead();
      int b = in.read();
      if (b >= 0) {
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      guard.checkRead();
      int n = in.read(b, off, len);
      if (n > 0) {
        counted(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      guard.checkRead();
      long skipped = in.skip(n);
      counted(skipped);
      return skipped;
    }

    private void counted(long n) throws IOException {
      count += n;
      if (count > cap) {
        guard.stop(FetchGuard.Stop.REF_ADVERTISEMENT_TOO_LARGE);
        throw new FetchGuard.StoppedException(FetchGuard.Stop.REF_ADVERTISEMENT_TOO_LARGE);
      }
      guard.countReceived(n);
    }
  }
}
