package dev.edgeproxy.e2e.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The edge-proxy.yaml and allowlist.yaml a test runs with, in the format of the spec's example files,
 * always on loopback and with short timeouts so that the tests stay fast.
 */
public final class ProxyConfig {

  /** A backend pool. {@code tlvs == null} leaves {@code proxyProtocolTlvs} out (the default: authority, unique-id). */
  public record Pool(String name, List<String> tls, String proxyProtocol, List<String> tlvs) {}

  public record Route(List<String> hosts, String backend) {}

  /** {@code allowlist.git}; {@code webhookSecretEnv} may be null. */
  public record GitSource(String url, String interval, String webhookSecretEnv) {}

  /** {@code allowlist.route53} against a Route53 stub at {@code endpoint}. */
  public record Route53Source(List<String> hostedZones, List<String> pointingAt, String interval, String endpoint) {}

  final int tlsPort = Ports.free();
  final int tlsPortV6 = Ports.ipv6LoopbackUsable() ? Ports.free() : 0;
  final int adminPort = Ports.free();
  private int httpPort;
  private int healthPort;
  private int healthMaxConnections;
  private List<String> adminAllowFrom = List.of("127.0.0.0/8", "::1/128");
  private List<String> healthAllowFrom = List.of();
  private final Map<String, Pool> pools = new LinkedHashMap<>();
  private final List<Route> routes = new ArrayList<>();
  private final Map<String, String> httpEndpoints = new LinkedHashMap<>();
  private String defaultBackend;
  private String noSni = "refuse";
  private String clientHelloTimeout = "2s";
  private String leakDetection = "paranoid";
  private List<String> allow = List.of();
  private List<String> deny = List.of();
  private final List<String> extraTlsBinds = new ArrayList<>();
  private final Map<String, String> env = new LinkedHashMap<>();
  private GitSource git;
  private Route53Source route53;
  private String maxShrink = "50%";
  private int maxConnectionsPerIp = 256;
  private List<String> proxyProtocolFrom = List.of();
  private int maxConnections = 1000;
  private String idleTimeout = "5m";
  private String halfClosedTimeout;
  private String drainTimeout = "3s";
  private String connectTimeout = "2s";
  private String healthCheckInterval = "1s";
  private String stateDirectory = "";
  private boolean syncTokenFromEnv;
  private String sourceFetchTimeout;
  /** Small: every test starts the jar, and one warm-up test runs the product's default (null: key left out). */
  private Integer warmUpConnections = 50;

  public ProxyConfig pool(String name, String endpoint) {
    return pool(new Pool(name, List.of(endpoint), "v2", null));
  }

  public ProxyConfig pool(Pool pool) {
    pools.put(pool.name(), pool);
    if (defaultBackend == null) {
      defaultBackend = pool.name();
    }
    return this;
  }

  public ProxyConfig route(String backend, String... hosts) {
    routes.add(new Route(List.of(hosts), backend));
    return this;
  }

  public ProxyConfig defaultBackend(String name) {
    this.defaultBackend = name;
    return this;
  }

  /** {@code refuse} or a pool name. */
  public ProxyConfig noSni(String value) {
    this.noSni = value;
    return this;
  }

  public ProxyConfig clientHelloTimeout(String duration) {
    this.clientHelloTimeout = duration;
    return this;
  }

  /** Netty's leak detection level inside the proxy (paranoid by default; it slows bulk transfers down). */
  public ProxyConfig leakDetection(String level) {
    this.leakDetection = level;
    return this;
  }

  public ProxyConfig allow(String... hosts) {
    this.allow = List.of(hosts);
    return this;
  }

  public ProxyConfig deny(String... hosts) {
    this.deny = List.of(hosts);
    return this;
  }

  /** Another address the TLS listener binds (host:port), e.g. added before a reload. */
  public ProxyConfig extraTlsBind(String address) {
    extraTlsBinds.add(address);
    return this;
  }

  /** An environment variable of the proxy process (AWS credentials, webhook secret, sync token). */
  public ProxyConfig env(String name, String value) {
    env.put(name, value);
    return this;
  }

  public ProxyConfig git(GitSource source) {
    this.git = source;
    return this;
  }

  public ProxyConfig route53(Route53Source source) {
    this.route53 = source;
    return this;
  }

  /** e.g. {@code 50%} (the default here). */
  public ProxyConfig maxShrink(String value) {
    this.maxShrink = value;
    return this;
  }

  /** {@code acceptProxyProtocol: true} with {@code proxyProtocolFrom} these networks. */
  public ProxyConfig acceptProxyProtocolFrom(String... networks) {
    this.proxyProtocolFrom = List.of(networks);
    return this;
  }

  /** {@code node.warmUpConnections}; null leaves the key out (the product's default). */
  public ProxyConfig warmUpConnections(Integer value) {
    this.warmUpConnections = value;
    return this;
  }

  public ProxyConfig maxConnections(int value) {
    this.maxConnections = value;
    return this;
  }

  public ProxyConfig maxConnectionsPerIp(int value) {
    this.maxConnectionsPerIp = value;
    return this;
  }

  public ProxyConfig idleTimeout(String duration) {
    this.idleTimeout = duration;
    return this;
  }

  /** {@code limits.halfClosedTimeout}; left out (the product's default) unless set. */
  public ProxyConfig halfClosedTimeout(String duration) {
    this.halfClosedTimeout = duration;
    return this;
  }

  public ProxyConfig drainTimeout(String duration) {
    this.drainTimeout = duration;
    return this;
  }

  /** {@code connectTimeout} of every pool (2s unless told). */
  public ProxyConfig connectTimeout(String duration) {
    this.connectTimeout = duration;
    return this;
  }

  /** {@code backends.<pool>.http}: one endpoint for port 80 (redirect mode answers only hosts with one). */
  public ProxyConfig poolHttp(String pool, String endpoint) {
    httpEndpoints.put(pool, endpoint);
    return this;
  }

  /** A port-80 listener ({@code listeners.http}) in redirect mode; returns its port. */
  public int httpRedirectListener() {
    httpPort = Ports.free();
    return httpPort;
  }

  /** A health listener ({@code listeners.health}) with this allowFrom and maxConnections; returns its port. */
  public int healthListener(List<String> allowFrom, int maxConnections) {
    healthPort = Ports.free();
    healthAllowFrom = List.copyOf(allowFrom);
    healthMaxConnections = maxConnections;
    return healthPort;
  }

  /** {@code listeners.admin.allowFrom} (all of loopback unless told). */
  public ProxyConfig adminAllowFrom(String... networks) {
    adminAllowFrom = List.of(networks);
    return this;
  }

  /** The state file in this subdirectory of the work directory (e.g. to mount a tiny tmpfs there). */
  public ProxyConfig stateDirectory(String name) {
    this.stateDirectory = name;
    return this;
  }

  /** The state file's path relative to the work directory. */
  public String stateFileName() {
    return stateDirectory.isEmpty() ? "allowlist-state.json" : stateDirectory + "/allowlist-state.json";
  }

  /** {@code timeout} of the Git and Route53 sources (one whole fetch); the product's default unless set. */
  public ProxyConfig sourceFetchTimeout(String duration) {
    this.sourceFetchTimeout = duration;
    return this;
  }

  /** {@code healthCheck.interval} of every pool (1s unless told). */
  public ProxyConfig healthCheckInterval(String duration) {
    this.healthCheckInterval = duration;
    return this;
  }

  /**
   * Writes {@code syncToken: ${EDGE_SYNC_TOKEN}} (as the spec's example does) and gives the process that variable
   * with {@link #SYNC_TOKEN}; by default the token is written into the file.
   */
  public ProxyConfig syncTokenFromEnv() {
    this.syncTokenFromEnv = true;
    env.put("EDGE_SYNC_TOKEN", SYNC_TOKEN);
    return this;
  }

  /** The bearer token POST /sync wants, whether written in the file or given through the environment. */
  public static final String SYNC_TOKEN = "e2e-sync-token";

  public Map<String, String> env() {
    return Map.copyOf(env);
  }

  public int tlsPort() {
    return tlsPort;
  }

  /** 0 when the machine has no IPv6 loopback. */
  public int tlsPortV6() {
    return tlsPortV6;
  }

  public int adminPort() {
    return adminPort;
  }

  String leakDetectionLevel() {
    return leakDetection;
  }

  /** The allow-list file for the current allow and deny lists. */
  public String allowListYaml() {
    return allowListYaml(allow, deny);
  }

  public static String allowListYaml(List<String> allow, List<String> deny) {
    StringBuilder yaml = new StringBuilder("# written by the end-to-end tests\nallow:");
    if (allow.isEmpty()) {
      yaml.append(" []\n");
    } else {
      yaml.append('\n');
      allow.forEach(host -> yaml.append("  - \"").append(host).append("\"\n"));
    }
    yaml.append("deny:");
    if (deny.isEmpty()) {
      yaml.append(" []\n");
    } else {
      yaml.append('\n');
      deny.forEach(host -> yaml.append("  - \"").append(host).append("\"\n"));
    }
    return yaml.toString();
  }

  /** edge-proxy.yaml naming the given allow-list and state files. */
  public String edgeProxyYaml(String allowListFile, String stateFile) {
    String binds = "\"127.0.0.1:" + tlsPort + "\"" + (tlsPortV6 == 0 ? "" : ", \"[::1]:" + tlsPortV6 + "\"");
    for (String extra : extraTlsBinds) {
      binds += ", \"" + extra + "\"";
    }
    StringBuilder yaml = new StringBuilder();
    yaml.append("""
        node:
          name: e2e%s
        listeners:
          tls:
            bind: [%s]
            %s
            clientHelloTimeout: %s
            maxClientHelloBytes: 16384
            noSni: %s
          admin:
            bind: "127.0.0.1:%d"
            allowFrom: [%s]
            syncToken: %s
        """.formatted(warmUpConnections == null ? "" : "\n  warmUpConnections: " + warmUpConnections, binds,
        proxyProtocolFrom.isEmpty()
            ? "acceptProxyProtocol: false"
            : "acceptProxyProtocol: true\n    proxyProtocolFrom: [" + quoted(proxyProtocolFrom) + "]",
        clientHelloTimeout, noSni, adminPort, quoted(adminAllowFrom),
        syncTokenFromEnv ? "\"${EDGE_SYNC_TOKEN}\"" : SYNC_TOKEN));
    if (httpPort != 0) {
      yaml.append("  http:\n    bind: \"127.0.0.1:").append(httpPort)
          .append("\"\n    mode: redirect\n    headerTimeout: 5s\n");
    }
    if (healthPort != 0) {
      yaml.append("  health:\n    bind: \"127.0.0.1:").append(healthPort).append("\"\n    allowFrom: [")
          .append(quoted(healthAllowFrom)).append("]\n    maxConnections: ").append(healthMaxConnections).append('\n');
    }
    yaml.append("backends:\n");
    for (Pool pool : pools.values()) {
      yaml.append("  ").append(pool.name()).append(":\n")
          .append("    tls: [").append(quoted(pool.tls())).append("]\n")
          .append(httpEndpoints.containsKey(pool.name())
              ? "    http: [\"" + httpEndpoints.get(pool.name()) + "\"]\n" : "")
          .append("    proxyProtocol: ").append(pool.proxyProtocol()).append('\n');
      if (pool.tlvs() != null) {
        yaml.append("    proxyProtocolTlvs: [").append(String.join(", ", pool.tlvs())).append("]\n");
      }
      yaml.append("""
              balance: round-robin
              connectTimeout: %s
              healthCheck:
                interval: %s
                timeout: 1s
                unhealthyAfter: 3
                healthyAfter: 1
          """.formatted(connectTimeout, healthCheckInterval));
    }
    if (routes.isEmpty()) {
      yaml.append("routes: []\n");
    } else {
      yaml.append("routes:\n");
      for (Route route : routes) {
        yaml.append("  - hosts: [").append(quoted(route.hosts())).append("]\n")
            .append("    backend: ").append(route.backend()).append('\n');
      }
    }
    yaml.append("defaultBackend: ").append(defaultBackend).append('\n');
    yaml.append("""
        allowlist:
          stateFile: "%s"
          maxShrink: %s
          enforce: true
          closeRevokedAfter: never
          file:
            path: "%s"
        """.formatted(stateFile, maxShrink, allowListFile));
    if (git != null) {
      yaml.append("""
            git:
              url: "%s"
              branch: main
              file: allowlist.yaml
              interval: %s
          """.formatted(git.url(), git.interval()));
      if (sourceFetchTimeout != null) {
        yaml.append("    timeout: ").append(sourceFetchTimeout).append('\n');
      }
      if (git.webhookSecretEnv() != null) {
        yaml.append("    webhookSecretEnv: ").append(git.webhookSecretEnv()).append('\n');
      }
    }
    if (route53 != null) {
      yaml.append("""
            route53:
              hostedZones: [%s]
              pointingAt: [%s]
              interval: %s
              region: us-east-1
              endpoint: "%s"
          """.formatted(quoted(route53.hostedZones()), quoted(route53.pointingAt()), route53.interval(),
          route53.endpoint()));
      if (sourceFetchTimeout != null) {
        yaml.append("    timeout: ").append(sourceFetchTimeout).append('\n');
      }
    }
    yaml.append("""
        limits:
          maxConnections: %d
          maxConnectionsPerIp: %d
          idleTimeout: %s
          drainTimeout: %s
        accessLog:
          format: json
        """.formatted(maxConnections, maxConnectionsPerIp, idleTimeout, drainTimeout));
    if (halfClosedTimeout != null) {
      yaml.insert(yaml.indexOf("accessLog:"), "  halfClosedTimeout: " + halfClosedTimeout + "\n");
    }
    return yaml.toString();
  }

  private static String quoted(List<String> values) {
    return values.stream().map(v -> "\"" + v + "\"").collect(Collectors.joining(", "));
  }
}
