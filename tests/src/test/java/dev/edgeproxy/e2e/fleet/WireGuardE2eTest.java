package dev.edgeproxy.e2e.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.ChildProcess;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.LargeFile;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.Tools;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The backends of the seeds sit on the tailnet; Tailscale's data plane is WireGuard. Here the backend (nginx)
 * runs in a network namespace of its own whose only way in is a WireGuard interface (MTU 1420, addresses from
 * 100.64.0.0/10), its peer in the proxy's namespace; the UDP underlay is a veth pair between the two. The
 * kernel here has no WireGuard module, so both ends are the userspace implementation (wireguard-go) configured
 * with {@code wg}, the same protocol and MTU. The client (this JVM) reaches the proxy over a second veth.
 */
class WireGuardE2eTest {
  private static final String PROXY_NS = "edge-wg-proxy";
  private static final String BACKEND_NS = "edge-wg-backend";
  private static final String CLIENT_ADDRESS = "10.214.1.1";
  private static final String PROXY_ADDRESS = "10.214.1.2";
  private static final String PROXY_TUNNEL_ADDRESS = "100.64.1.1";
  private static final String BACKEND_TUNNEL_ADDRESS = "100.64.1.2";
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  private static final List<ChildProcess> daemons = new ArrayList<>();
  private static NginxBackend nginx;
  private static ChildProcess proxy;
  private static ProxyConfig config;

  @BeforeAll
  static void buildTheTunnel() throws Exception {
    Tools.require("ip", "wg", "wireguard-go", "nginx", "openssl", "curl");
    Tools.requireThat("root".equals(System.getProperty("user.name")), "network namespaces need root");
    Path work = WorkDirs.create("wireguard");
    tearDown();
    run("ip", "netns", "add", PROXY_NS);
    run("ip", "netns", "add", BACKEND_NS);
    run("ip", "-n", PROXY_NS, "link", "set", "lo", "up");
    run("ip", "-n", BACKEND_NS, "link", "set", "lo", "up");
    // the underlay: UDP between the two WireGuard ends
    run("ip", "link", "add", "ewgu0", "netns", PROXY_NS, "type", "veth", "peer", "name", "ewgu1", "netns", BACKEND_NS);
    run("ip", "-n", PROXY_NS, "addr", "add", "10.214.0.1/30", "dev", "ewgu0");
    run("ip", "-n", BACKEND_NS, "addr", "add", "10.214.0.2/30", "dev", "ewgu1");
    run("ip", "-n", PROXY_NS, "link", "set", "ewgu0", "up");
    run("ip", "-n", BACKEND_NS, "link", "set", "ewgu1", "up");
    // the client's way to the proxy
    run("ip", "link", "add", "ewgh", "type", "veth", "peer", "name", "ewgc", "netns", PROXY_NS);
    run("ip", "addr", "add", CLIENT_ADDRESS + "/30", "dev", "ewgh");
    run("ip", "link", "set", "ewgh", "up");
    run("ip", "-n", PROXY_NS, "addr", "add", PROXY_ADDRESS + "/30", "dev", "ewgc");
    run("ip", "-n", PROXY_NS, "link", "set", "ewgc", "up");

    String proxyKey = wg(null, "genkey").strip();
    String backendKey = wg(null, "genkey").strip();
    tunnelEnd(work, PROXY_NS, "ewgp", proxyKey, wg(backendKey + "\n", "pubkey").strip(), "10.214.0.2",
        PROXY_TUNNEL_ADDRESS, BACKEND_TUNNEL_ADDRESS);
    tunnelEnd(work, BACKEND_NS, "ewgb", backendKey, wg(proxyKey + "\n", "pubkey").strip(), "10.214.0.1",
        BACKEND_TUNNEL_ADDRESS, PROXY_TUNNEL_ADDRESS);

    nginx = dump.watch(NginxBackend.start(BACKEND_NS, List.of(BACKEND_TUNNEL_ADDRESS)));
    config = new ProxyConfig().pool("tailnet", BACKEND_TUNNEL_ADDRESS + ":" + nginx.tlsPort())
        .allow("*.apps.example.test").extraTlsBind(PROXY_ADDRESS + ":443");
    Path dir = EdgeProxyProcess.writeFiles(config);
    List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", PROXY_NS));
    command.addAll(EdgeProxyProcess.javaJar(List.of(), "run", "--allow-root", "--config", dir.resolve("edge-proxy.yaml").toString()));
    proxy = dump.watch(ChildProcess.start("edge-proxy", command, dir));
    await("edge-proxy ready in " + PROXY_NS).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(300))
        .until(() -> {
          assertThat(proxy.alive()).as(proxy.diagnostics()).isTrue();
          return "ready".equals(inProxyNamespace("curl", "-s", "--max-time", "5",
              "http://127.0.0.1:" + config.adminPort() + "/readyz").stdout().strip());
        });
  }

  private static void tunnelEnd(Path work, String ns, String link, String privateKey, String peerKey, String peerUnderlay,
      String address, String peerAddress) throws IOException {
    // the UAPI socket is /var/run/wireguard/<link>.sock: one distinct name per end
    daemons.add(ChildProcess.start("wireguard-go-" + link,
        List.of("ip", "netns", "exec", ns, "env", "WG_PROCESS_FOREGROUND=1", "wireguard-go", "-f", link), work));
    await(link + " created").atMost(TIMEOUT).pollInterval(Duration.ofMillis(100))
        .until(() -> Exec.run(List.of("ip", "-n", ns, "link", "show", link), TIMEOUT).exitCode() == 0);
    Path keyFile = work.resolve(link + ".key");
    Files.writeString(keyFile, privateKey + "\n");
    run("ip", "netns", "exec", ns, "wg", "set", link, "private-key", keyFile.toString(), "listen-port", "51820",
        "peer", peerKey, "endpoint", peerUnderlay + ":51820", "allowed-ips", peerAddress + "/32",
        "persistent-keepalive", "5");
    run("ip", "-n", ns, "addr", "add", address + "/32", "peer", peerAddress + "/32", "dev", link);
    run("ip", "-n", ns, "link", "set", link, "mtu", "1420", "up");
  }

  @AfterAll
  static void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    if (nginx != null) {
      nginx.close();
    }
    daemons.forEach(ChildProcess::close);
    daemons.clear();
    Exec.run(List.of("ip", "link", "del", "ewgh"), TIMEOUT);
    Exec.run(List.of("ip", "netns", "del", PROXY_NS), TIMEOUT);
    Exec.run(List.of("ip", "netns", "del", BACKEND_NS), TIMEOUT);
  }

  @Test
  void theBackendIsReachableOnlyThroughTheTunnel() {
    String link = inProxyNamespace("ip", "-d", "link", "show", "ewgp").stdout();
    String routes = inProxyNamespace("ip", "route", "get", BACKEND_TUNNEL_ADDRESS).stdout();
    Exec.Result fromHost = Exec.run(List.of("curl", "-sk", "--max-time", "3",
        "https://" + BACKEND_TUNNEL_ADDRESS + ":" + nginx.tlsPort() + "/"), TIMEOUT);

    assertThat(link).contains("mtu 1420");
    assertThat(routes).contains("dev ewgp");
    assertThat(fromHost.exitCode()).as("the backend from this host's namespace: " + fromHost.describe()).isNotZero();
    String peers = inProxyNamespace("wg", "show", "ewgp", "latest-handshakes").stdout();
    assertThat(peers.strip()).as("a handshake happened").doesNotEndWith("\t0");
  }

  @Test
  void theBackendSeesTheClientAddressInTheProxyHeaderAcrossTheTunnel() throws IOException {
    TlsConnection.Reply reply = TlsConnection.get(new InetSocketAddress(PROXY_ADDRESS, 443), "www.apps.example.test", "/");

    assertThat(reply.status()).isEqualTo(200);
    assertThat(reply.body()).startsWith("addr=" + CLIENT_ADDRESS + " ").contains("sni=www.apps.example.test");
  }

  @Test
  void aPostQuantumSizedClientHelloCrossesTheTunnelWhole() throws IOException {
    byte[] hello = pqSizedClientHello("pq.apps.example.test");
    assertThat(hello.length).as("bigger than one packet of the 1420-byte tunnel").isGreaterThan(1420 + 100);

    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(PROXY_ADDRESS, 443), 5000);
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      out.write(hello);
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] header = new byte[6];
      in.readFully(header);
      // nginx parsed the whole hello (its x25519 share after the 1216-byte ML-KEM-sized one) and answers
      // with a ServerHello: a handshake record whose first message is server_hello (2)
      assertThat(header[0]).as("record type handshake").isEqualTo((byte) 0x16);
      assertThat(header[5]).as("handshake type server_hello").isEqualTo((byte) 0x02);
    }
  }

  @Test
  void a64MiBDownloadCrossesTheTunnelIntact() throws IOException {
    LargeFile big = LargeFile.get();
    MessageDigest digest = LargeFile.newDigest();
    long start = System.nanoTime();
    long bytes;
    try (TlsConnection c = TlsConnection.open(new InetSocketAddress(PROXY_ADDRESS, 443), "big.apps.example.test", 120_000)) {
      bytes = c.download("/" + LargeFile.NAME, digest);
    }
    long millis = (System.nanoTime() - start) / 1_000_000;

    assertThat(bytes).isEqualTo(LargeFile.SIZE);
    assertThat(HexFormat.of().formatHex(digest.digest())).isEqualTo(big.sha256());
    System.out.printf("wireguard: 64 MiB through the proxy and the tunnel in %d ms (%.1f MiB/s)%n", millis,
        64_000.0 / Math.max(1, millis));
  }

  /**
   * A TLS 1.3 ClientHello the size browsers send with a post-quantum hybrid key share: an X25519MLKEM768-sized
   * share (group 0x11ec, 1216 bytes) first, then an x25519 share the backend can use.
   */
  static byte[] pqSizedClientHello(String sni) {
    SecureRandom random = new SecureRandom();
    Bytes ext = new Bytes();
    byte[] name = sni.getBytes(StandardCharsets.US_ASCII);
    ext.u16(0x0000).u16(name.length + 5).u16(name.length + 3).u8(0).u16(name.length).raw(name);
    ext.u16(0x002b).u16(3).u8(2).u16(0x0304);
    ext.u16(0x000a).u16(6).u16(4).u16(0x11ec).u16(0x001d);
    int[] signatures = {0x0403, 0x0503, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601};
    ext.u16(0x000d).u16(2 + 2 * signatures.length).u16(2 * signatures.length);
    for (int s : signatures) {
      ext.u16(s);
    }
    byte[] pq = new byte[1216];
    byte[] x25519 = new byte[32];
    random.nextBytes(pq);
    random.nextBytes(x25519);
    int shares = 4 + pq.length + 4 + x25519.length;
    ext.u16(0x0033).u16(shares + 2).u16(shares).u16(0x11ec).u16(pq.length).raw(pq).u16(0x001d).u16(32).raw(x25519);
    ext.u16(0x002d).u16(2).u8(1).u8(1);
    // browsers pad their hellos (RFC 7685); with the hybrid share Chrome's come to some 1.8-2 KB
    ext.u16(0x0015).u16(480).raw(new byte[480]);
    byte[] extensions = ext.toArray();

    byte[] clientRandom = new byte[32];
    byte[] session = new byte[32];
    random.nextBytes(clientRandom);
    random.nextBytes(session);
    Bytes body = new Bytes().u16(0x0303).raw(clientRandom).u8(32).raw(session)
        .u16(6).u16(0x1301).u16(0x1302).u16(0x1303).u8(1).u8(0).u16(extensions.length).raw(extensions);
    byte[] message = body.toArray();
    Bytes handshake = new Bytes().u8(1).u24(message.length).raw(message);
    byte[] hs = handshake.toArray();
    return new Bytes().u8(0x16).u16(0x0301).u16(hs.length).raw(hs).toArray();
  }

  /** A tiny big-endian writer for the hello. */
  private static final class Bytes {
    private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

    Bytes u8(int v) {
      out.write(v);
      return this;
    }

    Bytes u16(int v) {
      return u8(v >>> 8).u8(v & 0xff);
    }

    Bytes u24(int v) {
      return u8(v >>> 16).u16(v & 0xffff);
    }

    Bytes raw(byte[] b) {
      out.writeBytes(b);
      return this;
    }

    byte[] toArray() {
      return out.toByteArray();
    }
  }

  private static Exec.Result inProxyNamespace(String... command) {
    List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", PROXY_NS));
    argv.addAll(List.of(command));
    return Exec.run(argv, TIMEOUT);
  }

  private static String wg(String stdin, String command) {
    Exec.Result r = Exec.run(List.of("wg", command), stdin, TIMEOUT);
    assertThat(r.exitCode()).as(r.describe()).isZero();
    return r.stdout();
  }

  private static void run(String... command) {
    Exec.Result r = Exec.run(List.of(command), TIMEOUT);
    if (r.exitCode() != 0) {
      throw new IllegalStateException(r.describe());
    }
  }
}
