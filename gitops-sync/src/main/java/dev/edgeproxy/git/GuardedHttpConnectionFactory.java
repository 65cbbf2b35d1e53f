package dev.edgeproxy.git;

import java.io.IOException;
import java.net.Proxy;
import java.net.URL;
import org.eclipse.jgit.transport.http.HttpConnection;
import org.eclipse.jgit.transport.http.HttpConnectionFactory2;
import org.eclipse.jgit.transport.http.JDKHttpConnectionFactory;

/** JGit's JDK connection factory, each connection under the guard of the fetch it serves. */
final class GuardedHttpConnectionFactory implements HttpConnectionFactory2 {
  private final JDKHttpConnectionFactory sessions = new JDKHttpConnectionFactory();
  private final FetchGuard guard;
  private final HostBoundCredentials.Origin credentialsOrigin;

  GuardedHttpConnectionFactory(FetchGuard guard, HostBoundCredentials.Origin credentialsOrigin) {
    this.guard = guard;
    this.credentialsOrigin = credentialsOrigin;
  }

  @Override
  public HttpConnection create(URL url) throws IOException {
    return create(url, null);
  }

  @Override
  public HttpConnection create(URL url, Proxy proxy) throws IOException {
    guard.checkRead();
    return new GuardedHttpConnection(url, proxy, guard, credentialsOrigin);
  }

  @Override
  public GitSession newSession() {
    return sessions.newSession();
  }
}
