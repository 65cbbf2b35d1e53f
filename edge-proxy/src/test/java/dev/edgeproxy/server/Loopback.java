package dev.edgeproxy.server;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/** What the tests of a real server on loopback do as its clients: ports, TLS hellos, closes. */
final class Loopback {
  private Loopback() {}

  /** A port free on loopback a moment ago (the server under test binds it next). */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * True once the proxy closed the connection (the raw stream under TLS sees EOF or a reset);
   * false when it is still open when the socket's read timeout ends.
   */
  static boolean closedByProxy(Socket socket) {
    try {
      InputStream in = socket.getInputStream();
      return in.read() < 0;
    } catch (java.net.SocketTimeoutException stillOpen) {
      return false;
    } catch (IOException reset) {
      return true;
    }
  }

  /**
   * A JDK TLS client over an open plain connection, asking for {@code sni}: its handshake sends
   * the ClientHello the proxy peeks at, while the test watches the plain socket.
   */
  static SSLSocket tlsOver(Socket plain, String sni) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, null, null);
    SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(plain, sni, plain.getPort(), false);
    SSLParameters params = tls.getSSLParameters();
    params.setServerNames(List.of(new SNIHostName(sni)));
    tls.setSSLParameters(params);
    return tls;
  }
}
