package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.e2e.support.AccessLogEntry;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.ProxyV2;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.Tools;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code acceptProxyProtocol} behind a load balancer, against the real jar and nginx (issue 8, defects 4 and 6): only
 * the peers in {@code proxyProtocolFrom} (here 127.0.0.2, standing in for the load balancer) may send a PROXY
 * header; the address such a header reports reaches the backend, and it is what {@code maxConnectionsPerIp}
 * counts, from the moment the header is decoded.
 */
class ProxyProtocolTrustE2eTest {
  private static final String BALANCER = "127.0.0.2";
  private static final InetSocketAddress BACKEND_SIDE = new InetSocketAddress("203.0.113.9", 443);

  @RegisterExtension final DumpOnFailure dump = new DumpOnFailure();

  static NginxBackend nginx;
  EdgeProxyProcess proxy;

  @BeforeAll
  static void startNginx() {
    Tools.require("nginx", "openssl");
    nginx = NginxBackend.start();
  }

  @AfterAll
  static void stopNginx() {
    if (nginx != null) {
      nginx.close();
    }
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  private EdgeProxyProcess start() {
    dump.watch(nginx);
    return dump.watch(EdgeProxyProcess.start(new ProxyConfig()
        .pool("nginx", "127.0.0.1:" + nginx.tlsPort())
        .allow("www.example.test")
        .acceptProxyProtocolFrom(BALANCER + "/32")
        .maxConnectionsPerIp(1)));
  }

  @Test
  void anUntrustedPeersHeaderIsNotHonouredAndItsConnectionIsClosedUnread() throws Exception {
    proxy = start();
    try (Socket direct = connectFrom("127.0.0.1")) {
      int localPort = direct.getLocalPort();
      write(direct, ProxyV2.header(new InetSocketAddress("198.51.100.66", 41066), BACKEND_SIDE, null, null));
      assertThat(closedByPeer(direct)).as("a header from a peer outside proxyProtocolFrom").isTrue();
      AccessLogEntry entry = proxy.awaitAccessLog(localPort);
      assertThat(entry.client()).as(entry.line()).isEqualTo("127.0.0.1");
      assertThat(entry.decision()).as(entry.line()).isEqualTo("refused");
      assertThat(entry.reason()).as(entry.line()).isEqualTo("untrusted_proxy");
      assertThat(entry.bytesIn()).as("nothing was read: %s", entry.line()).isZero();
    }
    assertThat(proxy.admin("/metrics").getValue())
        .containsPattern("edge_connections_total\\{[^}]*reason=\"untrusted_proxy\"");
    assertThat(String.join("\n", nginx.accessLog())).doesNotContain("198.51.100.66");
  }

  @Test
  void aTrustedHeadersAddressReachesTheBackendAndIsWhatThePerClientLimitCountsAtOnce() throws Exception {
    proxy = start();
    Socket first = connectFrom(BALANCER);
    write(first, ProxyV2.header(new InetSocketAddress("198.51.100.7", 40001), BACKEND_SIDE, null, null));
    try (TlsConnection forwarded = TlsConnection.over(first, "www.example.test")) {
      assertThat(forwarded.get("/keep").body())
          .as("the backend sees the address the balancer reported")
          .isEqualTo("addr=198.51.100.7 port=40001 sni=www.example.test\n");

      // The same reported client again, through the same balancer: its header alone gets it closed, no
      // ClientHello needed (maxConnectionsPerIp 1, and the first connection is still open).
      try (Socket second = connectFrom(BALANCER)) {
        write(second, ProxyV2.header(new InetSocketAddress("198.51.100.7", 40002), BACKEND_SIDE, null, null));
        assertThat(closedByPeer(second)).as("a second connection reported from 198.51.100.7").isTrue();
      }
      AccessLogEntry refused = proxy.awaitAccessLog("198.51.100.7:40002",
          e -> "198.51.100.7".equals(e.client()) && Long.valueOf(40002).equals(e.clientPort()));
      assertThat(refused.reason()).as(refused.line()).isEqualTo("limit");
      assertThat(refused.host()).as("refused before any ClientHello: %s", refused.line()).isNull();

      // Another reported client through the same balancer socket address is its own client: served.
      Socket third = connectFrom(BALANCER);
      write(third, ProxyV2.header(new InetSocketAddress("198.51.100.8", 40003), BACKEND_SIDE, null, null));
      try (TlsConnection other = TlsConnection.over(third, "www.example.test")) {
        assertThat(other.get("/keep").body()).isEqualTo("addr=198.51.100.8 port=40003 sni=www.example.test\n");
      }
      assertThat(forwarded.get("/keep").status()).as("the first connection still works").isEqualTo(200);
    }
  }

  /** A TCP connection to the TLS listener from {@code localAddress} (any loopback address works on Linux). */
  private Socket connectFrom(String localAddress) throws IOException {
    Socket socket = new Socket();
    try {
      socket.bind(new InetSocketAddress(localAddress, 0));
      socket.connect(TlsConnection.loopback(proxy.tlsPort()), 5_000);
      socket.setSoTimeout(20_000);
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private static void write(Socket socket, byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
  }

  /** Reads until the proxy ends the connection: true on EOF or reset, false if it stays open for 5 s. */
  private static boolean closedByPeer(Socket socket) throws IOException {
    socket.setSoTimeout(5_000);
    InputStream in = socket.getInputStream();
    try {
      while (in.read() >= 0) {
        // nothing is expected before the close
      }
      return true;
    } catch (SocketTimeoutException stillOpen) {
      return false;
    } catch (SocketException reset) {
      return true;
    }
  }
}
