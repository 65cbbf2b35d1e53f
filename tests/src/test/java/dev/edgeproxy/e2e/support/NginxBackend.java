package dev.edgeproxy.e2e.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Debian's nginx as a backend that terminates TLS after a PROXY protocol header, the way the cluster's ingress
 * does. It answers {@code /} with what it learnt from the header and the handshake, and serves {@link LargeFile}.
 *
 * <p>{@code /} and {@code /big.bin} close the connection after the response (so the proxy's access-log line,
 * written when a connection ends, follows at once, even for clients that pool connections); {@code /keep} keeps
 * it alive.
 *
 * <ul>
 *   <li>{@link #tlsPort()} on 127.0.0.1 and ::1: TLS after PROXY protocol (v1 or v2, nginx detects which);
 *   <li>{@link #directTlsPort()} on 127.0.0.1: the same content without PROXY protocol, to compare transfer rates;
 *   <li>{@link #httpPort()} on 127.0.0.1: plain HTTP after PROXY protocol, for the port-80 listener.
 * </ul>
 */
public final class NginxBackend implements AutoCloseable, Diagnosable {
  /**
   * On the plain-HTTP port, nginx routes this host (by the request target's authority when it has one, else by
   * Host) to a server of its own that answers {@code DENIED BACKEND}: a host the proxy must never let through.
   */
  public static final String DENIED_HOST = "internal.example.test";

  private final Path dir;
  private final int tlsPort;
  private final int directTlsPort;
  private final int httpPort;
  private final ChildProcess process;

  private NginxBackend(Path dir, int tlsPort, int directTlsPort, int httpPort, ChildProcess process) {
    this.dir = dir;
    this.tlsPort = tlsPort;
    this.directTlsPort = directTlsPort;
    this.httpPort = httpPort;
    this.process = process;
  }

  public static NginxBackend start() {
    return start(List.of());
  }

  /**
   * As {@link #start()}, with the PROXY-protocol TLS and HTTP ports also on {@code extraAddresses} (IPv4
   * addresses that exist on this host, e.g. one the test put on a namespace's veth or on lo).
   */
  public static NginxBackend start(List<String> extraAddresses) {
    return start(null, extraAddresses);
  }

  /**
   * As {@link #start(List)}, in the network namespace {@code namespace} (made by the test, e.g. a backend
   * reachable only over a tunnel); null = this process's namespace.
   */
  public static NginxBackend start(String namespace, List<String> extraAddresses) {
    Tools.require("nginx");
    Certificates certs = Certificates.get();
    LargeFile big = LargeFile.get();
    Path dir = WorkDirs.create("nginx");
    int tls = Ports.free();
    int direct = Ports.free();
    int http = Ports.free();
    Path conf = dir.resolve("nginx.conf");
    try {
      Files.createDirectories(dir.resolve("tmp"));
      Files.writeString(conf, config(dir, certs, big, tls, direct, http, extraAddresses));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> command = new java.util.ArrayList<>();
    if (namespace != null) {
      command.addAll(List.of("ip", "netns", "exec", namespace));
    }
    command.addAll(List.of(Tools.path("nginx"), "-p", dir + "/", "-c", conf.toString(), "-g", "daemon off;"));
    ChildProcess process = ChildProcess.start("nginx", command, dir);
    NginxBackend nginx = new NginxBackend(dir, tls, direct, http, process);
    try {
      await("nginx listening on " + direct).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
          .until(() -> {
            if (!process.alive()) {
              throw new IllegalStateException("nginx exited at start\n" + nginx.diagnostics());
            }
            return namespace == null
                ? Ports.listening("127.0.0.1", direct) && Ports.listening("127.0.0.1", tls)
                    && Ports.listening("127.0.0.1", http)
                : Exec.run(List.of("ip", "netns", "exec", namespace, "bash", "-c",
                    "exec 3<>/dev/tcp/127.0.0.1/" + tls + " && exec 4<>/dev/tcp/127.0.0.1/" + http),
                    Duration.ofSeconds(10)).exitCode() == 0;
          });
    } catch (RuntimeException | AssertionError e) {
      nginx.close();
      throw e;
    }
    return nginx;
  }

  private static String config(
      Path dir, Certificates certs, LargeFile big, int tls, int direct, int http, List<String> extra) {
    boolean ipv6 = Ports.ipv6LoopbackUsable();
    StringBuilder extraTls = new StringBuilder(ipv6 ? "listen [::1]:" + tls + " ssl proxy_protocol;" : "");
    StringBuilder extraHttp = new StringBuilder(ipv6 ? "listen [::1]:" + http + " proxy_protocol;" : "");
    for (String address : extra) {
      extraTls.append(" listen ").append(address).append(':').append(tls).append(" ssl proxy_protocol;");
      extraHttp.append(" listen ").append(address).append(':').append(http).append(" proxy_protocol;");
    }
    String tmp = dir.resolve("tmp").toString();
    // `user root` only when we are root: nginx's default (nobody) could not read files under the test's dirs
    String user = "root".equals(System.getProperty("user.name")) ? "user root;\n" : "";
    String tlsCommon = """
          ssl_certificate %s;
          ssl_certificate_key %s;
          ssl_protocols TLSv1.2 TLSv1.3;
          location = /%s { root %s; default_type application/octet-stream; keepalive_timeout 0; }
        """.formatted(certs.serverCert(), certs.serverKey(), LargeFile.NAME, big.directory());
    return user + """
        worker_processes 1;
        pid %1$s/nginx.pid;
        error_log %1$s/error.log info;
        events { worker_connections 512; }
        http {
          log_format e2e 'pp=$proxy_protocol_addr:$proxy_protocol_port remote=$remote_addr sni=$ssl_server_name host=$host "$request" $status $body_bytes_sent upgrade=$http_upgrade';
          access_log %1$s/access.log e2e;
          client_body_temp_path %2$s/body;
          proxy_temp_path %2$s/proxy;
          fastcgi_temp_path %2$s/fastcgi;
          uwsgi_temp_path %2$s/uwsgi;
          scgi_temp_path %2$s/scgi;
          keepalive_timeout 120s;
          sendfile on;

          server {
            listen 127.0.0.1:%3$d ssl proxy_protocol;
            %4$s
            %5$s
            location = / {
              keepalive_timeout 0;
              default_type text/plain;
              return 200 "addr=$proxy_protocol_addr port=$proxy_protocol_port sni=$ssl_server_name\\n";
            }
            location = /keep {
              default_type text/plain;
              return 200 "addr=$proxy_protocol_addr port=$proxy_protocol_port sni=$ssl_server_name\\n";
            }
          }
          server {
            listen 127.0.0.1:%6$d ssl;
            %5$s
            location = / {
              keepalive_timeout 0;
              default_type text/plain;
              return 200 "direct addr=$remote_addr sni=$ssl_server_name\\n";
            }
          }
          server {
            listen 127.0.0.1:%7$d proxy_protocol;
            %8$s
            location / {
              default_type text/plain;
              return 200 "addr=$proxy_protocol_addr port=$proxy_protocol_port host=$host uri=$request_uri\\n";
            }
          }
          server {
            listen 127.0.0.1:%7$d proxy_protocol;
            %8$s
            server_name %9$s;
            location / {
              default_type text/plain;
              return 200 "DENIED BACKEND host=$host uri=$request_uri\\n";
            }
          }
        }
        """.formatted(dir, tmp, tls, extraTls, tlsCommon, direct, http, extraHttp, DENIED_HOST);
  }

  public int tlsPort() {
    return tlsPort;
  }

  public int directTlsPort() {
    return directTlsPort;
  }

  public int httpPort() {
    return httpPort;
  }

  /** Lines of nginx's access log (one per HTTP request that reached it). */
  public List<String> accessLog() {
    String text = ChildProcess.read(dir.resolve("access.log"));
    return text.isEmpty() ? List.of() : List.of(text.split("\n"));
  }

  @Override
  public String diagnostics() {
    return process.diagnostics() + "\n--- nginx error.log ---\n"
        + ChildProcess.tail(ChildProcess.read(dir.resolve("error.log")), 60)
        + "\n--- nginx access.log ---\n" + ChildProcess.tail(ChildProcess.read(dir.resolve("access.log")), 60);
  }

  @Override
  public void close() {
    process.close();
  }
}
