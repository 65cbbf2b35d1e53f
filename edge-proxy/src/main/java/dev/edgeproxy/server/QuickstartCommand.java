package dev.edgeproxy.server;

import dev.edgeproxy.config.ConfigException;
import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.EdgeProxyConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "quickstart",
    description = {
      "Runs the proxy on the embedded quickstart configuration: loopback ports, a local allow-list",
      "file you can edit while it runs, and a demo TLS backend that shows what the proxy told it.",
      "No AWS, no Git, no root. Stop with Ctrl-C."
    })
final class QuickstartCommand implements Callable<Integer> {
  @Mixin RootGuard rootGuard = new RootGuard();

  @Option(
      names = "--dir",
      defaultValue = "edge-proxy-quickstart",
      description = "working folder for the allow-list and state files (default: ${DEFAULT-VALUE})")
  Path dir;

  @Option(names = "--tls-port", defaultValue = "8443", description = "TLS listener port (default: ${DEFAULT-VALUE})")
  int tlsPort;

  @Option(names = "--admin-port", defaultValue = "9901", description = "admin port (default: ${DEFAULT-VALUE})")
  int adminPort;

  @Option(
      names = "--backend-port",
      defaultValue = "9443",
      description = "demo backend port (default: ${DEFAULT-VALUE})")
  int backendPort;

  @Override
  public Integer call() throws Exception {
    if (rootGuard.refusesThisProcess()) {
      return RootGuard.REFUSED;
    }
    Path workDir = dir.toAbsolutePath().normalize();
    Files.createDirectories(workDir);
    Path allowlist = workDir.resolve("allowlist.yaml");
    if (!Files.exists(allowlist)) {
      Files.writeString(allowlist, resource("quickstart/allowlist.yaml"));
    }
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("QUICKSTART_DIR", workDir.toString());
    env.put("QUICKSTART_TLS_PORT", Integer.toString(tlsPort));
    env.put("QUICKSTART_ADMIN_PORT", Integer.toString(adminPort));
    env.put("QUICKSTART_BACKEND_PORT", Integer.toString(backendPort));
    EdgeProxyConfig config;
    try {
      config =
          ConfigLoader.loadFromString(
              resource("quickstart/edge-proxy.yaml"), "quickstart/edge-proxy.yaml", env);
    } catch (ConfigException e) {
      e.problems().forEach(p -> System.err.println(p));
      return 1;
    }
    Transport transport = Transport.detect();
    var group = transport.newGroup(1, "demo-backend");
    try (DemoBackend backend =
        DemoBackend.start(group, transport, new InetSocketAddress("127.0.0.1", backendPort))) {
      System.err.println(instructions(workDir, allowlist));
      return RunCommand.runUntilSignalled(config, null);
    } finally {
      group.shutdownGracefully().awaitUninterruptibly();
    }
  }

  private String instructions(Path workDir, Path allowlist) {
    String resolve = " --resolve %s:" + tlsPort + ":127.0.0.1 https://%s:" + tlsPort + "/";
    return String.join(
        "\n",
        "",
        "edge-proxy quickstart: TLS on 127.0.0.1:" + tlsPort
            + ", admin on http://127.0.0.1:" + adminPort
            + ", demo backend on 127.0.0.1:" + backendPort,
        "Allow-list: " + allowlist + " (edit it; it is re-read within a second)",
        "",
        "Try it (-k: the demo backend's certificate is self-signed):",
        "  allowed:     curl -k" + resolve.formatted("demo.localhost", "demo.localhost"),
        "  wildcard:    curl -k" + resolve.formatted("web.apps.localhost", "web.apps.localhost"),
        "  denied:      curl -k" + resolve.formatted("admin.localhost", "admin.localhost")
            + "   # TLS alert unrecognized_name",
        "  not allowed: curl -k" + resolve.formatted("other.localhost", "other.localhost"),
        "  readiness:   curl http://127.0.0.1:" + adminPort + "/readyz",
        "Access log (one JSON line per connection) on standard output. Ctrl-C stops.",
        "");
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = QuickstartCommand.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("missing bundled resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
