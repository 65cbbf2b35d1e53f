package dev.edgeproxy.server.cli;

import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.server.transport.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "quickstart",
    header = "Runs a local demo: no AWS, no Git, no root.",
    description = {
      "Runs the proxy on the embedded quickstart configuration: loopback ports, a local allow-list",
      "file you can edit while it runs, and a demo TLS backend that shows what the proxy told it.",
      "No AWS, no Git, no root. Stop with Ctrl-C."
    })
final class QuickstartCommand implements Callable<Integer> {
  /** The syncToken of the embedded configuration (loopback-only demo). */
  static final String DEMO_SYNC_TOKEN = "quickstart-demo-token";
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
    // the demo listens on loopback only, so root is allowed here; it is still not how to run it
    rootGuard.warnIfRoot(System.err);
    Path workDir = dir.toAbsolutePath().normalize();
    Files.createDirectories(workDir);
    Path allowlist = workDir.resolve("allowlist.yaml");
    if (!Files.exists(allowlist)) {
      Files.writeString(allowlist, resource("quickstart/allowlist.yaml"));
    }
    Path configFile = writeConfig(workDir, Map.of(
        "QUICKSTART_DIR", workDir.toString(),
        "QUICKSTART_TLS_PORT", Integer.toString(tlsPort),
        "QUICKSTART_ADMIN_PORT", Integer.toString(adminPort),
        "QUICKSTART_BACKEND_PORT", Integer.toString(backendPort)));
    Optional<EdgeProxyConfig> config = ConfigFileOption.load(configFile, System.err);
    if (config.isEmpty()) {
      return ConfigFileOption.BAD_CONFIG;
    }
    Transport transport = Transport.detect();
    var group = transport.newGroup(1, "demo-backend");
    try (DemoBackend backend =
        DemoBackend.start(group, transport, new InetSocketAddress("127.0.0.1", backendPort))) {
      System.err.println(instructions(configFile, allowlist));
      return RunCommand.runUntilSignalled(config.get(), configFile);
    } finally {
      group.shutdownGracefully().awaitUninterruptibly();
    }
  }

  /**
   * Writes the embedded configuration with the {@code QUICKSTART_*} values filled in to {@code
   * edge-proxy.yaml} in the working folder (rewritten each start: the options may differ), so that
   * validate, check and a SIGHUP reload work on the file the demo runs from.
   */
  static Path writeConfig(Path workDir, Map<String, String> values) throws IOException {
    String text = resource("quickstart/edge-proxy.yaml");
    for (Map.Entry<String, String> v : values.entrySet()) {
      // every value sits inside double quotes in the template
      String quoted = v.getValue().replace("\\", "\\\\").replace("\"", "\\\"");
      text = text.replace("${" + v.getKey() + "}", quoted);
    }
    Path file = workDir.resolve("edge-proxy.yaml");
    Files.writeString(file, text);
    return file;
  }

  private String instructions(Path configFile, Path allowlist) {
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
        "",
        "Configuration: " + configFile + " (rewritten at each start; kill -HUP reloads it)",
        "  validate:    " + launcher() + " validate --config " + configFile,
        "  explain:     " + launcher() + " check --config " + configFile + " web.apps.localhost",
        "  held back:   a change removing more than maxShrink waits; apply it with",
        "               curl -X POST -H 'Authorization: Bearer " + DEMO_SYNC_TOKEN + "' 'http://127.0.0.1:"
            + adminPort + "/sync?force=true'",
        "Access log (one JSON line per connection) on standard output. Ctrl-C stops.",
        "");
  }

  /** How this jar was started, for command lines to copy: {@code java -jar /path/edge-proxy.jar}. */
  private static String launcher() {
    try {
      Path code = Path.of(QuickstartCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (code.toString().endsWith(".jar")) {
        return "java -jar " + code;
      }
    } catch (java.net.URISyntaxException | RuntimeException e) {
      // not started from a jar file (an IDE, the tests): the generic form below
    }
    return "java -jar edge-proxy.jar";
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
