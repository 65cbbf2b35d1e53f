package dev.edgeproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.config.AllowListConfig.GitSourceConfig;
import dev.edgeproxy.config.AllowListConfig.Route53SourceConfig;
import dev.edgeproxy.config.BackendPoolConfig.Balance;
import dev.edgeproxy.config.BackendPoolConfig.ProxyProtocolVersion;
import dev.edgeproxy.config.BackendPoolConfig.ProxyTlv;
import dev.edgeproxy.config.HttpListenerConfig.HttpMode;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {
  static final Path SPEC = Paths.get(System.getProperty("user.dir")).resolve("examples");
  static final Map<String, String> ENV = Map.of("EDGE_SYNC_TOKEN", "s3cret-token");

  @Test
  void exampleConfigLoadsUnchangedWithTheMeaningOfItsComments() throws Exception {
    EdgeProxyConfig c = ConfigLoader.load(SPEC.resolve("edge-proxy.example.yaml"), ENV);

    assertThat(c.node().name()).isEqualTo("entrance-1");

    TlsListenerConfig tls = c.listeners().tls().orElseThrow();
    assertThat(tls.binds())
        .containsExactly(new BindAddress("0.0.0.0", 443), new BindAddress("::", 443));
    assertThat(tls.binds().get(1).toString()).isEqualTo("[::]:443");
    assertThat(tls.acceptProxyProtocol()).isFalse();
    assertThat(tls.clientHelloTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(tls.maxClientHelloBytes()).isEqualTo(16384);
    assertThat(tls.noSni()).isEmpty();

    HttpListenerConfig http = c.listeners().http().orElseThrow();
    assertThat(http.binds()).containsExactly(new BindAddress("0.0.0.0", 80));
    assertThat(http.mode()).isEqualTo(HttpMode.FORWARD);
    assertThat(http.maxHeaderBytes()).isEqualTo(16 * 1024);
    assertThat(http.headerTimeout()).isEqualTo(Duration.ofSeconds(10));

    AdminListenerConfig admin = c.listeners().admin();
    HealthListenerConfig health = c.listeners().health().orElseThrow();
    assertThat(health.binds()).containsExactly(new BindAddress("0.0.0.0", 9902));
    assertThat(health.allowFrom()).isEqualTo(HealthListenerConfig.EVERYONE);
    assertThat(admin.binds()).containsExactly(new BindAddress("127.0.0.1", 9901));
    assertThat(admin.allowFrom())
        .containsExactly(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"), Cidr.parse("100.64.0.0/10"));
    assertThat(admin.allows(InetAddress.getByName("100.100.1.2"))).isTrue();
    assertThat(admin.allows(InetAddress.getByName("192.168.1.2"))).isFalse();
    assertThat(admin.syncToken()).contains("s3cret-token");
    assertThat(admin.maxConnections()).isEqualTo(64);
    assertThat(admin.maxConnectionsFromOutside()).isEqualTo(16);
    assertThat(admin.toString()).doesNotContain("s3cret-token");
    assertThat(c.toString()).doesNotContain("s3cret-token");

    assertThat(c.backends().keySet()).containsExactly("traefik", "forgejo");
    BackendPoolConfig traefik = c.backends().get("traefik");
    assertThat(traefik.name()).isEqualTo("traefik");
    assertThat(traefik.tls())
        .containsExactly(new Endpoint("100.64.0.10", 443), new Endpoint("100.64.0.11", 443));
    assertThat(traefik.http())
        .containsExactly(new Endpoint("100.64.0.10", 80), new Endpoint("100.64.0.11", 80));
    assertThat(traefik.proxyProtocol()).isEqualTo(ProxyProtocolVersion.V2);
    assertThat(traefik.proxyProtocolTlvs()).containsExactlyInAnyOrder(ProxyTlv.AUTHORITY, ProxyTlv.UNIQUE_ID);
    assertThat(traefik.balance()).isEqualTo(Balance.ROUND_ROBIN);
    assertThat(traefik.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(traefik.healthCheck())
        .isEqualTo(new BackendPoolConfig.HealthCheckConfig(Duration.ofSeconds(10), Duration.ofSeconds(2), 3, 2));
    BackendPoolConfig forgejo = c.backend("forgejo").orElseThrow();
    assertThat(forgejo.tls()).containsExactly(new Endpoint("forgejo.tailnet.example.ts.net", 443));
    assertThat(forgejo.http()).isEmpty();
    assertThat(forgejo.proxyProtocol()).isEqualTo(ProxyProtocolVersion.V2);
    assertThat(forgejo.proxyProtocolTlvs()).containsExactlyInAnyOrder(BackendPoolConfig.ProxyTlv.values());
    assertThat(forgejo.healthCheck()).isEqualTo(BackendPoolConfig.HealthCheckConfig.DEFAULT);

    assertThat(c.routes())
        .containsExactly(new RouteConfig(List.of(HostPattern.parse("git.example.com")), "forgejo"));
    assertThat(c.defaultBackend()).contains("traefik");

    AllowListConfig a = c.allowlist();
    assertThat(a.stateFile()).contains(Path.of("/var/lib/edge-proxy/allowlist.json"));
    assertThat(a.maxShrink()).isEqualTo(0.5);
    assertThat(a.enforce()).isTrue();
    assertThat(a.closeRevokedAfter()).isEmpty();
    assertThat(a.file().orElseThrow().path()).isEqualTo(Path.of("/etc/edge-proxy/allowlist.yaml"));
    GitSourceConfig git = a.git().orElseThrow();
    assertThat(git.url()).isEqualTo("git@github.com:example/edge-allowlist.git");
    assertThat(git.branch()).isEqualTo("main");
    assertThat(git.file()).isEqualTo("allowlist.yaml");
    assertThat(git.sshKeyFile()).contains(Path.of("/etc/edge-proxy/deploy_key"));
    assertThat(git.tokenEnv()).contains("GIT_TOKEN");
    assertThat(git.interval()).contains(Duration.ofMinutes(5));
    assertThat(git.cron()).isEmpty();
    assertThat(git.webhookSecretEnv()).contains("EDGE_WEBHOOK_SECRET");
    assertThat(git.knownHostsFile()).isEmpty();
    assertThat(git.cacheDir()).isEmpty();
    assertThat(git.timeout()).isEqualTo(Duration.ofSeconds(60));
    Route53SourceConfig r53 = a.route53().orElseThrow();
    assertThat(r53.hostedZones()).containsExactly("Z0123456789ABCDEFGHIJ", "example.org.");
    assertThat(r53.pointingAt()).containsExactly("203.0.113.10", "2001:db8::10", "entrance.example.com");
    assertThat(r53.interval()).contains(Duration.ofMinutes(5));
    assertThat(r53.cron()).isEmpty();
    assertThat(r53.region()).isEqualTo("us-east-1");
    assertThat(r53.endpoint()).isEmpty();
    assertThat(r53.timeout()).isEqualTo(Duration.ofSeconds(60));

    assertThat(c.limits()).isEqualTo(new LimitsConfig(20000, 256, Duration.ofMinutes(15), Duration.ofSeconds(30)));
    assertThat(c.accessLog()).isEqualTo(new AccessLogConfig(AccessLogConfig.Format.JSON, Optional.empty()));
  }

  @Test
  void configRoutesBecomeAllowListRoutesWithProvenance() throws Exception {
    EdgeProxyConfig c = ConfigLoader.load(SPEC.resolve("edge-proxy.example.yaml"), ENV);
    List<dev.edgeproxy.allowlist.SourceRoute> routes = RouteConfig.toSourceRoutes(c.routes());
    assertThat(routes).hasSize(1);
    assertThat(routes.get(0).hosts()).containsExactly(HostPattern.parse("git.example.com"));
    assertThat(routes.get(0).backend()).isEqualTo("forgejo");
    assertThat(routes.get(0).provenance()).isEqualTo(new dev.edgeproxy.allowlist.Provenance("config", "routes[0]"));
  }

  @Test
  void exampleConfigNeedsItsSyncToken() throws Exception {
    Path example = SPEC.resolve("edge-proxy.example.yaml");
    List<String> lines = Files.readAllLines(example);
    int line = 1 + java.util.stream.IntStream.range(0, lines.size())
        .filter(i -> lines.get(i).contains("syncToken: ${EDGE_SYNC_TOKEN}")).findFirst().orElseThrow();
    int column = 1 + lines.get(line - 1).indexOf("${EDGE_SYNC_TOKEN}");
    assertThatThrownBy(() -> ConfigLoader.load(SPEC.resolve("edge-proxy.example.yaml"), Map.of()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .extracting(ConfigProblem::toString)
                    .containsExactly(
                        example + ":" + line + ":" + column + ": listeners.admin.syncToken: environment variable EDGE_SYNC_TOKEN is not set"));
  }

  @Test
  void minimalConfigGetsDocumentedDefaults() throws Exception {
    EdgeProxyConfig c =
        ConfigLoader.loadFromString(
            "listeners:\n  tls: {}\n  http: {}\nbackends:\n  p:\n    tls: [\"10.0.0.1:443\"]\ndefaultBackend: p\n",
            "t.yaml",
            Map.of());
    TlsListenerConfig tls = c.listeners().tls().orElseThrow();
    assertThat(tls.binds()).containsExactly(new BindAddress("0.0.0.0", 443));
    assertThat(tls.clientHelloTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(tls.maxClientHelloBytes()).isEqualTo(16384);
    assertThat(tls.noSni()).isEmpty();
    assertThat(tls.acceptProxyProtocol()).isFalse();
    HttpListenerConfig http = c.listeners().http().orElseThrow();
    assertThat(http.binds()).containsExactly(new BindAddress("0.0.0.0", 80));
    assertThat(http.mode()).isEqualTo(HttpMode.FORWARD);
    assertThat(c.listeners().admin()).isEqualTo(AdminListenerConfig.defaults());
    assertThat(AdminListenerConfig.defaults().allows(InetAddress.getByName("::1"))).isTrue();
    assertThat(AdminListenerConfig.defaults().allows(InetAddress.getByName("127.1.2.3"))).isTrue();
    assertThat(AdminListenerConfig.defaults().syncToken()).isEmpty();
    assertThat(c.node().name()).isNotBlank();
    assertThat(c.allowlist()).isEqualTo(AllowListConfig.DEFAULT);
    assertThat(c.limits()).isEqualTo(LimitsConfig.DEFAULT);
    assertThat(c.accessLog()).isEqualTo(AccessLogConfig.DEFAULT);
    BackendPoolConfig p = c.backends().get("p");
    assertThat(p.proxyProtocol()).isEqualTo(ProxyProtocolVersion.V2);
    assertThat(p.balance()).isEqualTo(Balance.ROUND_ROBIN);
    assertThat(p.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void emptyConfigIsValid() throws Exception {
    EdgeProxyConfig c = ConfigLoader.loadFromString("", "t.yaml", Map.of());
    assertThat(c.listeners().tls()).isEmpty();
    assertThat(c.listeners().http()).isEmpty();
    assertThat(c.listeners().admin()).isEqualTo(AdminListenerConfig.defaults());
    assertThat(c.backends()).isEmpty();
  }

  @Test
  void nonDefaultValues() throws Exception {
    String yaml =
        """
        node: {name: "n-${REGION}"}
        listeners:
          tls:
            bind: "[2001:db8::1]:8443"
            acceptProxyProtocol: true
            proxyProtocolFrom: ["10.0.0.0/16", "2001:db8::/32"]
            clientHelloTimeout: 500ms
            maxClientHelloBytes: 32KiB
            noSni: legacy
          http:
            bind: ["127.0.0.1:8080"]
            mode: redirect
            maxHeaderBytes: 1MiB
            headerTimeout: 1m
          admin:
            bind: "[::1]:9901"
        backends:
          legacy:
            http: ["legacy.internal:80"]
            proxyProtocol: v1
            proxyProtocolTlvs: []
            balance: least-connections
            connectTimeout: 1h
            healthCheck: {interval: 1d, timeout: 250ms, unhealthyAfter: 5, healthyAfter: 1}
        routes:
          - hosts: ["*.apps.example.com", "Bücher.example.com."]
            backend: legacy
        allowlist:
          stateFile: state/allowlist.json
          maxShrink: 0.25
          enforce: "${ENFORCE:-false}"
          closeRevokedAfter: 30s
          file: {path: allow.yaml}
          git:
            url: https://git.example.com/x.git
            branch: prod
            file: lists/allow.yaml
            cron: "0 */5 * * * ?"
            knownHostsFile: /etc/ssh/known_hosts
            cacheDir: /var/cache/edge
            timeout: 90s
          route53:
            hostedZones: Z1
            pointingAt: 203.0.113.10
            interval: 30s
            region: eu-west-1
            endpoint: "http://127.0.0.1:8089"
            timeout: 2m
        limits: {maxConnections: 10, maxConnectionsPerIp: 2, idleTimeout: 5m, drainTimeout: 0, ipv6PrefixLength: 56}
        accessLog: {format: text, path: /var/log/edge/access.log}
        """;
    EdgeProxyConfig c = ConfigLoader.loadFromString(yaml, "t.yaml", Map.of("REGION", "eu"));
    assertThat(c.node().name()).isEqualTo("n-eu");
    TlsListenerConfig tls = c.listeners().tls().orElseThrow();
    assertThat(tls.binds()).containsExactly(new BindAddress("2001:db8::1", 8443));
    assertThat(tls.acceptProxyProtocol()).isTrue();
    assertThat(tls.proxyProtocolFrom()).containsExactly(Cidr.parse("10.0.0.0/16"), Cidr.parse("2001:db8::/32"));
    assertThat(tls.clientHelloTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(tls.maxClientHelloBytes()).isEqualTo(32768);
    assertThat(tls.noSni()).contains("legacy");
    HttpListenerConfig http = c.listeners().http().orElseThrow();
    assertThat(http.mode()).isEqualTo(HttpMode.REDIRECT);
    assertThat(http.maxHeaderBytes()).isEqualTo(1 << 20);
    assertThat(http.headerTimeout()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.listeners().admin().binds()).containsExactly(new BindAddress("::1", 9901));
    assertThat(c.listeners().admin().allowFrom()).isEqualTo(Cidr.loopback());
    BackendPoolConfig p = c.backends().get("legacy");
    assertThat(p.proxyProtocol()).isEqualTo(ProxyProtocolVersion.V1);
    assertThat(p.proxyProtocolTlvs()).isEmpty();
    assertThat(p.balance()).isEqualTo(Balance.LEAST_CONNECTIONS);
    assertThat(p.connectTimeout()).isEqualTo(Duration.ofHours(1));
    assertThat(p.healthCheck().interval()).isEqualTo(Duration.ofDays(1));
    assertThat(p.healthCheck().timeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(p.healthCheck().unhealthyAfter()).isEqualTo(5);
    assertThat(p.healthCheck().healthyAfter()).isEqualTo(1);
    assertThat(c.routes().get(0).hosts())
        .containsExactly(HostPattern.parse("*.apps.example.com"), HostPattern.parse("xn--bcher-kva.example.com"));
    AllowListConfig a = c.allowlist();
    assertThat(a.stateFile()).contains(Path.of("state/allowlist.json"));
    assertThat(a.maxShrink()).isEqualTo(0.25);
    assertThat(a.enforce()).isFalse();
    assertThat(a.closeRevokedAfter()).contains(Duration.ofSeconds(30));
    assertThat(a.file().orElseThrow().path()).isEqualTo(Path.of("allow.yaml"));
    GitSourceConfig git = a.git().orElseThrow();
    assertThat(git.branch()).isEqualTo("prod");
    assertThat(git.file()).isEqualTo("lists/allow.yaml");
    assertThat(git.cron()).contains("0 */5 * * * ?");
    assertThat(git.interval()).isEmpty();
    assertThat(git.sshKeyFile()).isEmpty();
    assertThat(git.knownHostsFile()).contains(Path.of("/etc/ssh/known_hosts"));
    assertThat(git.cacheDir()).contains(Path.of("/var/cache/edge"));
    assertThat(git.timeout()).isEqualTo(Duration.ofSeconds(90));
    Route53SourceConfig r53 = a.route53().orElseThrow();
    assertThat(r53.hostedZones()).containsExactly("Z1");
    assertThat(r53.pointingAt()).containsExactly("203.0.113.10");
    assertThat(r53.interval()).contains(Duration.ofSeconds(30));
    assertThat(r53.region()).isEqualTo("eu-west-1");
    assertThat(r53.endpoint()).contains(URI.create("http://127.0.0.1:8089"));
    assertThat(r53.timeout()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.limits()).isEqualTo(new LimitsConfig(10, 2, Duration.ofMinutes(5), Duration.ZERO, 56, 0, LimitsConfig.DEFAULT_HALF_CLOSED_TIMEOUT));
    assertThat(c.accessLog().format()).isEqualTo(AccessLogConfig.Format.TEXT);
    assertThat(c.accessLog().path()).contains(Path.of("/var/log/edge/access.log"));
  }

  @Test
  void memoryBudgetAndHalfClosedTimeout() throws Exception {
    String base = "backends:\n  p:\n    tls: [\"10.0.0.1:443\"]\ndefaultBackend: p\n";
    LimitsConfig limits =
        ConfigLoader.loadFromString(
                base + "limits:\n  memoryBudget: 64MiB\n  halfClosedTimeout: 10s\n", "t.yaml", Map.of())
            .limits();
    assertThat(limits.memoryBudget()).isEqualTo(64L << 20);
    assertThat(limits.halfClosedTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(LimitsConfig.DEFAULT.memoryBudget()).as("derived at start").isZero();
    assertThat(LimitsConfig.DEFAULT.halfClosedTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(
            () -> ConfigLoader.loadFromString(base + "limits:\n  memoryBudget: 64KiB\n", "t.yaml", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("limits.memoryBudget");
    assertThatThrownBy(
            () -> ConfigLoader.loadFromString(base + "limits:\n  halfClosedTimeout: 0s\n", "t.yaml", Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("limits.halfClosedTimeout");
  }

  @Test
  void relativePathsAreRelativeToTheConfigFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("edge.yaml");
    Files.writeString(file, "allowlist:\n  stateFile: state.json\n  file: {path: allow.yaml}\n");
    EdgeProxyConfig c = ConfigLoader.load(file, Map.of());
    assertThat(c.allowlist().stateFile()).contains(dir.toAbsolutePath().resolve("state.json"));
    assertThat(c.allowlist().file().orElseThrow().path()).isEqualTo(dir.toAbsolutePath().resolve("allow.yaml"));
  }

  @Test
  void envSubstitution() throws Exception {
    Map<String, String> env = Map.of("A", "one", "B", "two", "PORT", "9443");
    EdgeProxyConfig c =
        ConfigLoader.loadFromString(
            "node: {name: \"${A}-${B}-$${A}-${C:-three}\"}\n"
                + "listeners: {admin: {bind: \"127.0.0.1:${PORT}\"}}\n",
            "t.yaml",
            env);
    assertThat(c.node().name()).isEqualTo("one-two-${A}-three");
    assertThat(c.listeners().admin().binds()).containsExactly(new BindAddress("127.0.0.1", 9443));
  }

  static Stream<Arguments> brokenConfigs() {
    String pool = "backends:\n  p:\n    tls: [\"10.0.0.1:443\"]\n";
    return Stream.of(
        Arguments.of(
            "listeners:\n  tls:\n    clientHelloTimeout: 10x\n" + pool,
            List.of("t.yaml:3:25: listeners.tls.clientHelloTimeout: invalid duration '10x' (use 500ms, 10s, 5m, 1h)")),
        Arguments.of(
            "listeners:\n  tls:\n    clientHelloTimeot: 10s\n" + pool,
            List.of("t.yaml:3:5: listeners.tls.clientHelloTimeot: unknown key (did you mean 'clientHelloTimeout'?)")),
        Arguments.of(
            "nodes: {name: x}\n",
            List.of("t.yaml:1:1: nodes: unknown key (did you mean 'node'?)")),
        Arguments.of(
            "listeners:\n  tls:\n    bind: \"0.0.0.0:70000\"\n" + pool,
            List.of("t.yaml:3:11: listeners.tls.bind: port 70000 is not in 1..65535")),
        Arguments.of(
            "listeners:\n  tls:\n    bind: [\"0.0.0.0\"]\n" + pool,
            List.of("t.yaml:3:12: listeners.tls.bind: invalid address '0.0.0.0' (use host:port or [v6]:port)")),
        Arguments.of(
            "listeners:\n  tls:\n    acceptProxyProtocol: true\n" + pool,
            List.of(
                "t.yaml:3:26: listeners.tls.acceptProxyProtocol: needs proxyProtocolFrom: the load"
                    + " balancers' networks whose PROXY header is believed (to trust every peer, write"
                    + " [\"0.0.0.0/0\", \"::/0\"])")),
        Arguments.of(
            "listeners:\n  tls:\n    acceptProxyProtocol: true\n    proxyProtocolFrom: [lb.internal]\n" + pool,
            List.of(
                "t.yaml:4:25: listeners.tls.proxyProtocolFrom: 'lb.internal' is not an IP address or network")),
        Arguments.of(
            "listeners:\n  tls:\n    acceptProxyProtocol: true\n    proxyProtocolFrom: []\n" + pool,
            List.of("t.yaml:4:24: listeners.tls.proxyProtocolFrom: needs at least one value")),
        Arguments.of(
            "limits:\n  ipv6PrefixLength: 129\n",
            List.of("t.yaml:2:21: limits.ipv6PrefixLength: 129 is not in 16..128")),
        Arguments.of(
            "listeners:\n  tls: {}\n",
            List.of("t.yaml:1:1: backends: a tls or http listener needs at least one backend pool")),
        Arguments.of(
            pool + "routes:\n  - hosts: [a.example.com]\n    backend: nope\n",
            List.of("t.yaml:6:14: routes[0].backend: no backend named 'nope' (defined: p)")),
        Arguments.of(
            pool + "defaultBackend: nope\nlisteners:\n  tls:\n    noSni: other\n",
            List.of(
                "t.yaml:4:17: defaultBackend: no backend named 'nope' (defined: p)",
                "t.yaml:7:12: listeners.tls.noSni: no backend named 'other' (defined: p)")),
        Arguments.of(
            "backends:\n  p:\n    proxyProtocol: v2\n",
            List.of("t.yaml:2:3: backends.p: needs at least one tls or http endpoint")),
        Arguments.of(
            pool + "    proxyProtocol: v3\n    balance: random\n    proxyProtocolTlvs: [authority, ssl]\n",
            List.of(
                "t.yaml:4:20: backends.p.proxyProtocol: invalid value 'v3' (use v2 | v1 | none)",
                "t.yaml:5:14: backends.p.balance: invalid value 'random' (use round-robin | least-connections)",
                "t.yaml:6:36: backends.p.proxyProtocolTlvs: unknown TLV 'ssl' (use authority, unique-id)")),
        Arguments.of(
            "allowlist:\n  maxShrink: 150%\n",
            List.of("t.yaml:2:14: allowlist.maxShrink: '150%' is not in 0..100% (use 50% or 0.5)")),
        Arguments.of(
            "allowlist:\n  maxShrink: half\n  enforce: maybe\n  closeRevokedAfter: soon\n",
            List.of(
                "t.yaml:2:14: allowlist.maxShrink: invalid share 'half' (use 50% or 0.5)",
                "t.yaml:3:12: allowlist.enforce: expected true or false, got 'maybe'",
                "t.yaml:4:22: allowlist.closeRevokedAfter: invalid duration 'soon' (use never, 500ms, 10s, 5m, 1h)")),
        Arguments.of(
            "allowlist:\n  git:\n    branch: main\n    cron: \"*/5 * * * *\"\n",
            List.of(
                "t.yaml:3:5: allowlist.git.url: required",
                "t.yaml:4:11: allowlist.git.cron: cron '*/5 * * * *' has 5 fields; Quartz needs 6 or 7 (sec min hour day month weekday [year])")),
        Arguments.of(
            "allowlist:\n  git:\n    url: x\n    interval: 5m\n    cron: \"0 * * * * ?\"\n    tokenEnv: ghp_abc-123\n",
            List.of(
                "t.yaml:4:15: allowlist.git.interval: set either interval or cron, not both",
                "t.yaml:6:15: allowlist.git.tokenEnv: 'ghp_abc-123' is not an environment variable name (give the name, not the secret)")),
        Arguments.of(
            "allowlist:\n  git:\n    url: http://git.example.com/a.git\n    tokenEnv: GIT_TOKEN\n",
            List.of(
                "t.yaml:4:15: allowlist.git.tokenEnv: a token over cleartext http:// could be read on the way; use an https:// URL (only a loopback host may take a token over http://)")),
        Arguments.of(
            "allowlist:\n  route53:\n    region: eu-west-1\n    endpoint: \"ftp://x\"\n",
            List.of(
                "t.yaml:3:5: allowlist.route53.hostedZones: required",
                "t.yaml:3:5: allowlist.route53.pointingAt: required",
                "t.yaml:4:15: allowlist.route53.endpoint: expected an http(s) URL, got 'ftp://x'")),
        Arguments.of(
            "listeners:\n  admin:\n    allowFrom: [\"10.0.0.0/33\", example.com]\n    syncToken: ${NOPE}\n",
            List.of(
                "t.yaml:3:17: listeners.admin.allowFrom: prefix length 33 in '10.0.0.0/33' is not in 0..32",
                "t.yaml:3:32: listeners.admin.allowFrom: 'example.com' is not an IP address or network",
                "t.yaml:4:16: listeners.admin.syncToken: environment variable NOPE is not set")),
        Arguments.of(
            "listeners:\n  admin:\n    maxConnections: 0\n",
            List.of("t.yaml:3:21: listeners.admin.maxConnections: 0 is not in 1..10000")),
        Arguments.of(
            "limits:\n  maxConnections: 0\n  maxConnectionsPerIp: lots\n  idleTimeout: 0\n",
            List.of(
                "t.yaml:2:19: limits.maxConnections: 0 is not in 1..2147483647",
                "t.yaml:3:24: limits.maxConnectionsPerIp: expected a whole number, got 'lots'",
                "t.yaml:4:16: limits.idleTimeout: must be more than 0")),
        Arguments.of(
            pool + "listeners:\n  tls:\n    maxClientHelloBytes: 16QiB\n  http:\n    mode: proxy\n",
            List.of(
                "t.yaml:6:26: listeners.tls.maxClientHelloBytes: invalid size '16QiB' (use 16384, 16KiB, 1MiB)",
                "t.yaml:8:11: listeners.http.mode: invalid value 'proxy' (use forward | redirect)")),
        Arguments.of(
            pool + "routes:\n  - hosts: [\"a.*.example.com\", ok.example.com]\n    backend: p\n  - hosts: [OK.example.com]\n    backend: p\n",
            List.of(
                "t.yaml:5:13: routes[0].hosts: invalid host name 'a.*.example.com': '*' is only allowed as the whole first label",
                "t.yaml:7:13: routes[1].hosts: 'ok.example.com' is already routed (line 5)")),
        Arguments.of(
            "accessLog:\n  format: xml\nlisteners: [tls]\n",
            List.of(
                "t.yaml:2:11: accessLog.format: invalid value 'xml' (use json | text | none)",
                "t.yaml:3:12: listeners: expected a map, got a list")),
        Arguments.of(
            "node:\n  name: a\nnode:\n  name: b\n",
            List.of("t.yaml:3:1: duplicate key 'node' (first at line 1)")),
        Arguments.of("listeners:\n  tls: [\n", List.of("t.yaml:2:9: ")),
        Arguments.of(
            "node:\n  name: *edge\n",
            List.of("t.yaml:2:9: YAML alias '*edge' is not supported: write the value out")),
        Arguments.of(
            "limits: &l\n  idleTimeout: 5m\n",
            List.of("t.yaml:1:9: YAML anchor '&l' is not supported: write each value out")));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("brokenConfigs")
  void brokenConfigsReportEveryProblemWithPosition(String yaml, List<String> expected) {
    assertThatThrownBy(() -> ConfigLoader.loadFromString(yaml, "t.yaml", Map.of()))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e -> {
              List<String> actual = e.problems().stream().map(ConfigProblem::toString).toList();
              if (expected.size() == 1 && expected.get(0).endsWith(": ")) {
                assertThat(actual).singleElement().asString().startsWith(expected.get(0)).contains("invalid YAML");
              } else {
                assertThat(actual).containsExactlyElementsOf(expected);
              }
              assertThat(e.getMessage()).isEqualTo(String.join("\n", actual));
            });
  }

  @Test
  void missingFileIsAProblem(@TempDir Path dir) {
    Path file = dir.resolve("nope.yaml");
    assertThatThrownBy(() -> ConfigLoader.load(file, Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessage(file + ":1:1: file does not exist");
  }

  @ParameterizedTest
  @CsvSource({
    "500ms, PT0.5S", "10s, PT10S", "5m, PT5M", "1h, PT1H", "1d, PT24H", "0, PT0S", "90s, PT1M30S",
  })
  void durations(String text, String iso) {
    assertThat(ConfigValues.parseDuration(text)).contains(Duration.parse(iso));
  }

  @ParameterizedTest
  @CsvSource({"10x", "10", "1.5s", "-1s", "s", "''", "10 seconds", "99999999999999999999d"})
  void invalidDurations(String text) {
    assertThat(ConfigValues.parseDuration(text)).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({"16384, 16384", "16KiB, 16384", "1MiB, 1048576", "2GiB, 2147483648", "1KB, 1000", "512B, 512"})
  void sizes(String text, long bytes) {
    assertThat(ConfigValues.parseSize(text)).contains(bytes);
  }

  @ParameterizedTest
  @CsvSource({"16QiB", "-1", "1.5MiB", "MiB", "''"})
  void invalidSizes(String text) {
    assertThat(ConfigValues.parseSize(text)).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({"50%, 0.5", "0.5, 0.5", "100%, 1.0", "0%, 0.0", "12.5%, 0.125"})
  void shares(String text, double share) {
    assertThat(ConfigValues.parseShare(text)).contains(share);
  }
}
