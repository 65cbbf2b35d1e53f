package dev.edgeproxy.e2e.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * HAProxy 2.6 as a backend that terminates TLS after a PROXY header and answers with the header's TLVs:
 * {@code src=… authority=… uid=… sni=…}. nginx cannot show TLVs; HAProxy's {@code fc_pp_authority} and
 * {@code fc_pp_unique_id} can.
 */
public final class HaproxyBackend implements AutoCloseable, Diagnosable {

  private final int tlsPort;
  private final ChildProcess process;

  private HaproxyBackend(int tlsPort, ChildProcess process) {
    this.tlsPort = tlsPort;
    this.process = process;
  }

  public static HaproxyBackend start() {
    Tools.require("haproxy");
    Certificates certs = Certificates.get();
    Path dir = WorkDirs.create("haproxy");
    int port = Ports.free();
    Path cfg = dir.resolve("haproxy.cfg");
    try {
      Files.writeString(cfg, """
          global
            maxconn 512
          defaults
            mode http
            timeout connect 5s
            timeout client 60s
            timeout server 60s
          frontend e2e
            bind 127.0.0.1:%d ssl crt %s accept-proxy
            http-request return status 200 content-type text/plain lf-string "src=%%[src] authority=%%[fc_pp_authority] uid=%%[fc_pp_unique_id] sni=%%[ssl_fc_sni]\\n"
          """.formatted(port, certs.serverPem()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ChildProcess process = ChildProcess.start("haproxy", List.of(Tools.path("haproxy"), "-f", cfg.toString(), "-db"), dir);
    HaproxyBackend haproxy = new HaproxyBackend(port, process);
    try {
      await("haproxy listening on " + port).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
          .until(() -> {
            if (!process.alive()) {
              throw new IllegalStateException("haproxy exited at start\n" + haproxy.diagnostics());
            }
            return Ports.listening("127.0.0.1", port);
          });
    } catch (RuntimeException | AssertionError e) {
      haproxy.close();
      throw e;
    }
    return haproxy;
  }

  public int tlsPort() {
    return tlsPort;
  }

  @Override
  public String diagnostics() {
    return process.diagnostics();
  }

  @Override
  public void close() {
    process.close();
  }
}
