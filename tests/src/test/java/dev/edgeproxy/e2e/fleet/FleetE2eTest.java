package dev.edgeproxy.e2e.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.fleet.FleetTraffic.Download;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.LargeFile;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.Tools;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Ansible role on real systemd: three entrance nodes booted by systemd-nspawn from a debootstrap root,
 * each in a network namespace of its own, deployed with {@code playbooks/site.yml} through the
 * {@code community.docker.nsenter} connection, checked with {@code playbooks/check.yml}. The backend is the
 * test's nginx at 100.64.0.10 (a tailnet-style address on a veth of this host, routed from each
 * node's namespace over its veth), so every node has the same configuration, as a fleet has.
 *
 * <p>Needs root, {@code systemd-nspawn} (systemd-container), {@code debootstrap}, {@code ansible}, nginx and a
 * Debian mirror for the first build of the root (cached in /var/tmp/edge-proxy-nspawn-root). Excluded from
 * {@code mvn verify}; runs with {@code -Dfleet} (tests/pom.xml), as .ci/run does.
 *
 * <p>Fast by design: the checks share four {@code site.yml} runs (install; an allow-list change that also
 * proves every other task idempotent; the upgrade; the rollback) and one that stops at the first node;
 * each phase's time is printed ("fleet phase:") and summed up at the end.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetE2eTest {
  /** {@code systemd-analyze security} exposure of the unit, measured 3.2 "OK" on Debian 12 (lower is better); the role README states it. */
  static final double SECURITY_EXPOSURE_MAX = 3.2;
  private static final String BACKEND_ADDRESS = "100.64.0.10";
  private static final String BACKEND_LINK = "ee2eb";
  private static final String TOKEN = "fleet-sync-token";
  private static final String NEXT_VERSION = "0.1.0-e2e-next";
  private static final Duration PLAYBOOK_TIMEOUT = Duration.ofMinutes(12);
  private static final int NODES = 3;
  /**
   * limits.maxConnections of the test's configuration: the unit's LimitNOFILE is then 2 x 6000 + 4096 = 16096,
   * which a container can reach where the test may not raise its own hard limit (no CAP_SYS_RESOURCE:
   * systemd silently clamps a higher LimitNOFILE to the container's ceiling).
   */
  private static final int MAX_CONNECTIONS = 6000;
  private static final long LIMIT_NOFILE = 2L * MAX_CONNECTIONS + 4096;
  /** CAP_NET_BIND_SERVICE is capability 10. */
  private static final String ONLY_NET_BIND_SERVICE = "0000000000000400";
  private static final String STATE_DIR = "/var/lib/edge-proxy";

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  private static final PhaseTimer timer = new PhaseTimer();
  private static final List<NspawnNode> nodes = new ArrayList<>();
  private static final List<NodeNetwork> networks = new ArrayList<>();
  private static NginxBackend nginx;
  private static Path work;
  private static Path inventory;
  private static Ansible ansible;
  private static Path jar;
  private static Path nextJar;
  private static String installedVersion;

  @BeforeAll
  static void bootTheFleet() throws Exception {
    Tools.require("systemd-nspawn", "debootstrap", "nsenter", "ip", "ansible-playbook", "nginx", "openssl");
    Tools.requireThat("root".equals(System.getProperty("user.name")), "booting nodes with systemd-nspawn needs root");
    jar = Path.of(System.getProperty("edgeproxy.jar", "../edge-proxy/target/edge-proxy.jar")).toAbsolutePath().normalize();
    Tools.requireThat(Files.isRegularFile(jar), "the shaded jar is not built: " + jar);
    work = WorkDirs.create("fleet");
    ansible = new Ansible(work);
    Path root = timer.time("node root (debootstrap, or the cached one)", NspawnRoot::get);
    installedVersion = implementationVersion(jar);
    nextJar = withVersion(jar, NEXT_VERSION, work.resolve("edge-proxy-next.jar"));

    ip("link", "del", BACKEND_LINK);
    // a veth pair with one end used: the kernel here has no dummy interfaces
    run("ip", "link", "add", BACKEND_LINK, "type", "veth", "peer", "name", BACKEND_LINK + "p");
    run("ip", "link", "set", BACKEND_LINK + "p", "up");
    run("ip", "addr", "add", BACKEND_ADDRESS + "/32", "dev", BACKEND_LINK);
    run("ip", "link", "set", BACKEND_LINK, "up");
    nginx = dump.watch(NginxBackend.start(List.of(BACKEND_ADDRESS)));

    timer.run("boot " + NODES + " nodes in parallel", () -> {
      List<CompletableFuture<NspawnNode>> booting = new ArrayList<>();
      for (int i = 1; i <= NODES; i++) {
        int index = i;
        NodeNetwork network = NodeNetwork.create(index);
        networks.add(network);
        run("ip", "-n", "edge-e2e-" + index, "route", "add", BACKEND_ADDRESS + "/32", "via", network.hostAddress());
        booting.add(CompletableFuture.supplyAsync(() -> NspawnNode.boot("edge-" + index, root, network, work)));
      }
      List<Throwable> failures = new ArrayList<>();
      for (CompletableFuture<NspawnNode> boot : booting) {
        try {
          nodes.add(dump.watch(boot.get(4, TimeUnit.MINUTES)));
        } catch (ExecutionException e) {
          failures.add(e.getCause());
        } catch (Exception e) {
          failures.add(e);
        }
      }
      if (!failures.isEmpty()) {
        AssertionError error = new AssertionError("a node did not boot", failures.get(0));
        failures.stream().skip(1).forEach(error::addSuppressed);
        throw error;
      }
    });
    StringBuilder inv = new StringBuilder("entrance:\n  hosts:\n");
    for (NspawnNode node : nodes) {
      inv.append("    ").append(node.name()).append(": {").append(node.inventoryVars()).append("}\n");
    }
    inventory = work.resolve("inventory.yml");
    Files.writeString(inventory, inv);
  }

  @AfterAll
  static void powerOff() {
    try {
      timer.run("power off", () -> {
        nodes.parallelStream().forEach(NspawnNode::close);
        networks.forEach(NodeNetwork::close);
      });
    } finally {
      if (nginx != null) {
        nginx.close();
      }
      ip("link", "del", BACKEND_LINK);
      System.out.print(timer.summary());
    }
  }

  // ---- one node, as a customer's

  @Test
  @Order(1)
  void siteInstallsEveryNodeOneAfterTheOtherAndEachAnswersReady() {
    Ansible.Run site = timer.time("site.yml: install " + NODES + " nodes",
        () -> site(vars(jar, installedVersion, allowList("*.apps.example.test"))));

    assertThat(site.exitCode()).as(site.describe()).isZero();
    assertThat(site.recap()).as(site.describe()).hasSize(NODES)
        .allSatisfy((host, recap) -> assertThat(recap.failed()).isZero());
    for (NspawnNode node : nodes) {
      assertThat(admin(node, "/readyz")).as(node.name()).isEqualTo("ready");
      assertThat(node.run("systemctl", "is-active", "edge-proxy").strip()).isEqualTo("active");
    }
  }

  @Test
  @Order(2)
  void theServiceRunsUnprivilegedWithOnlyNetBindServiceAndBinds443And80() {
    NspawnNode node = nodes.get(0);
    String pid = mainPid(node);
    String status = node.run("cat", "/proc/" + pid + "/status");
    String uid = node.run("id", "-u", "edge-proxy").strip();

    assertThat(field(status, "Uid")).as(status).startsWith(uid + "\t").doesNotStartWith("0\t");
    assertThat(uid).isNotEqualTo("0");
    assertThat(field(status, "CapEff")).isEqualTo(ONLY_NET_BIND_SERVICE);
    assertThat(field(status, "CapPrm")).isEqualTo(ONLY_NET_BIND_SERVICE);
    assertThat(field(status, "CapBnd")).isEqualTo(ONLY_NET_BIND_SERVICE);
    assertThat(field(status, "NoNewPrivs")).isEqualTo("1");
    String listening = node.run("ss", "-Hltnp");
    assertThat(listening).as(listening)
        .containsPattern("[:\\]*]443\\s.*pid=" + pid + ",")
        .containsPattern("[:\\]*]80\\s.*pid=" + pid + ",");
    // the role's default binds 0.0.0.0:443 and [::]:443: IPv6 listens (with NIO one dual-stack socket serves both)
    assertThat(listening).containsPattern("(\\[::\\]|\\*):443\\s");
    assertThat(FleetTraffic.get(node, "www.apps.example.test")).as("IPv4 on 443").startsWith("addr=");
  }

  @Test
  @Order(3)
  void protectSystemStrictLeavesOnlyTheStateDirectoryWritable() {
    NspawnNode node = nodes.get(0);
    String pid = mainPid(node);

    for (String path : List.of("/opt/edge-proxy/probe", "/etc/edge-proxy/probe", "/usr/probe", "/var/tmp/../probe")) {
      Exec.Result write = node.exec("nsenter", "--target=" + pid, "--mount", "touch", path);
      assertThat(write.exitCode()).as("write " + path + " in the service's view: " + write.describe()).isNotZero();
      assertThat(write.stderr()).contains("Read-only file system");
    }
    Exec.Result state = node.exec("nsenter", "--target=" + pid, "--mount", "touch", STATE_DIR + "/probe");
    assertThat(state.exitCode()).as(state.describe()).isZero();
    node.run("rm", "-f", STATE_DIR + "/probe");
    // the proxy saved its snapshot there (the AppCDS archive is written when a run exits: see the restart test)
    assertThat(node.run("ls", STATE_DIR)).contains("allowlist.json");
  }

  @Test
  @Order(4)
  void systemdAnalyzeSecurityRatesTheUnitNoWorseThanTheReadmeSays() {
    NspawnNode node = nodes.get(0);
    Exec.Result security = node.exec("systemd-analyze", "security", "--no-pager", "edge-proxy.service");
    Matcher m = Pattern.compile("Overall exposure level for edge-proxy\\.service: (\\d+\\.\\d+) (\\S+)")
        .matcher(security.stdout());

    assertThat(m.find()).as(security.describe()).isTrue();
    double exposure = Double.parseDouble(m.group(1));
    System.out.printf("systemd-analyze security edge-proxy.service: %s %s%n", m.group(1), m.group(2));
    assertThat(exposure).as(security.stdout()).isLessThanOrEqualTo(SECURITY_EXPOSURE_MAX);
  }

  @Test
  @Order(5)
  void hostTuningIsAppliedAndTheDescriptorLimitFitsMaxConnections() throws IOException {
    NspawnNode node = nodes.get(0);
    // systemd clamps LimitNOFILE to what the container may have: this machine's ceiling must allow the test's
    long ceiling = hardOpenFiles(Files.readString(Path.of("/proc/" + node.initPid() + "/limits")));
    assertThat(ceiling).as("the container's hard limit of open files (the ceiling of LimitNOFILE)")
        .isGreaterThanOrEqualTo(LIMIT_NOFILE);

    assertThat(node.run("systemctl", "show", "-p", "LimitNOFILE", "--value", "edge-proxy").strip())
        .isEqualTo(Long.toString(LIMIT_NOFILE));
    String limits = node.run("cat", "/proc/" + mainPid(node) + "/limits");
    assertThat(limits).containsPattern("Max open files\\s+" + LIMIT_NOFILE + "\\s+" + LIMIT_NOFILE + "\\s");
    assertThat(node.run("sysctl", "-n", "net.core.somaxconn").strip()).isEqualTo("4096");
    assertThat(node.run("sysctl", "-n", "net.ipv4.ip_local_port_range").strip()).matches("10240\\s+65000");
    assertThat(Long.parseLong(node.run("sysctl", "-n", "fs.file-max").strip())).isGreaterThanOrEqualTo(LIMIT_NOFILE);
    assertThat(node.run("cat", "/etc/sysctl.d/60-edge-proxy.conf")).contains("net.core.somaxconn = 4096");
  }

  /**
   * One run for two claims: only the allow-list changed, so on every node exactly that file is rewritten and
   * the service reloaded, and every other task reports no change (the role is idempotent); the reload keeps
   * the process and a download through it.
   */
  @Test
  @Order(6)
  void anAllowListChangeIsTheOnlyChangeAndItsReloadKeepsADownloadRunning() throws Exception {
    NspawnNode node = nodes.get(0);
    String pidBefore = mainPid(node);
    assertThat(FleetTraffic.get(node, "new.example.test")).as("not yet allowed").isNull();

    AtomicLong reloadedAt = new AtomicLong();
    CompletableFuture<Download> transfer = CompletableFuture.supplyAsync(() ->
        FleetTraffic.slowlyUntil(node, () -> FleetTraffic.get(node, "new.example.test") != null, reloadedAt));
    Ansible.Run site = timer.time("site.yml: allow-list change (reload)",
        () -> site(vars(jar, installedVersion, allowList("*.apps.example.test", "new.example.test"))));
    Download download = transfer.get(5, TimeUnit.MINUTES);

    assertThat(site.exitCode()).as(site.describe()).isZero();
    for (NspawnNode each : nodes) {
      assertThat(site.changedTasks(each.name())).as(each.name() + ": " + site.describe())
          .containsExactly("edge_proxy : Install the allow-list", "edge_proxy : Reload edge-proxy (SIGHUP)");
    }
    assertThat(reloadedAt.get()).as("the new host was allowed while the download ran").isPositive();
    assertThat(download.error()).as("the download through " + node.name() + " during the reload").isNull();
    assertThat(download.sha256()).isEqualTo(LargeFile.get().sha256());
    assertThat(mainPid(node)).as("reloaded, not restarted").isEqualTo(pidBefore);
    for (NspawnNode each : nodes) {
      assertThat(FleetTraffic.get(each, "new.example.test")).as(each.name()).startsWith("addr=");
    }
  }

  // ---- the fleet

  @Test
  @Order(7)
  void aRollingUpgradeDrainsEachNodeAndLetsADownloadFinish() throws Exception {
    NspawnNode first = nodes.get(0);
    // slow (128 KiB/s) until the node is taken out of service, full speed after: the download is in flight
    // when the drain starts, and finishes during the role's wait for the connections
    AtomicLong drainedAt = new AtomicLong();
    CompletableFuture<Download> transfer = CompletableFuture.supplyAsync(() ->
        FleetTraffic.slowlyUntil(first, () -> status(first).contains("\"outOfService\":true"), drainedAt));
    Ansible.Run upgrade = timer.time("site.yml: rolling upgrade",
        () -> site(vars(nextJar, NEXT_VERSION, allowList("*.apps.example.test", "new.example.test"))));
    Download download = transfer.get(5, TimeUnit.MINUTES);

    assertThat(upgrade.exitCode()).as(upgrade.describe()).isZero();
    assertThat(drainedAt.get()).as("the download saw its node taken out of service").isPositive();
    assertThat(download.error()).as("the download through " + first.name() + " during its upgrade").isNull();
    assertThat(download.sha256()).isEqualTo(LargeFile.get().sha256());
    assertThat(first.run("journalctl", "-u", "edge-proxy", "--no-pager", "-o", "cat"))
        .contains("taken out of service");
    for (NspawnNode node : nodes) {
      assertThat(status(node)).as(node.name()).contains("\"version\":\"" + NEXT_VERSION + "\"");
    }
    // one node at a time: each node is taken out of service only after the one before answered /readyz again
    for (int i = 1; i < NODES; i++) {
      int ready = upgrade.lineOf("edge_proxy : Wait until the admin endpoint answers /readyz", nodes.get(i - 1).name());
      int drain = upgrade.lineOf("edge_proxy : Take edge-proxy out of service before the restart", nodes.get(i).name());
      assertThat(ready).as(nodes.get(i - 1).name() + " ready: " + upgrade.describe()).isPositive();
      assertThat(drain).as(nodes.get(i).name() + " drained after " + nodes.get(i - 1).name() + " was ready")
          .isGreaterThan(ready);
    }
    Ansible.Run check = timer.time("check.yml: consistent fleet", FleetE2eTest::check);
    assertThat(check.exitCode()).as(check.describe()).isZero();
    assertThat(check.output()).contains("every node is ready, on version " + NEXT_VERSION);
  }

  @Test
  @Order(8)
  void checkNamesTheNodeThatDriftedToAnOlderAllowList() {
    NspawnNode third = nodes.get(2);
    third.run("sh", "-c", "printf 'allow:\\n- \"*.apps.example.test\"\\ndeny: []\\n' > /etc/edge-proxy/allowlist.yaml"
        + " && systemctl reload edge-proxy");
    await("edge-3 loads the older allow-list").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
        .until(() -> FleetTraffic.get(third, "new.example.test") == null);

    Ansible.Run check = timer.time("check.yml: one node drifted", FleetE2eTest::check);

    assertThat(check.exitCode()).as(check.describe()).isNotZero();
    assertThat(check.output()).as(check.describe()).containsPattern("edge-3: snapshot \\S+, the others have \\S+")
        .doesNotContain("edge-1: snapshot").doesNotContain("edge-2: snapshot");
  }

  /**
   * systemctl restart with a download open: the proxy drains for limits.drainTimeout (5 s here), then exits;
   * that exit writes the launcher's AppCDS archive into the state directory (the only writable place under
   * the sandbox), and the next process starts from it.
   */
  @Test
  @Order(9)
  void aRestartDrainsWithinDrainTimeoutAndTheNextStartUsesTheClassDataArchive() throws Exception {
    NspawnNode third = nodes.get(2);
    String before = mainPid(third);
    long[] restartMillis = new long[1];
    // 1 MiB/s: the download outlives the role's drainTimeout (5 s here), so the restart cuts it
    Download download = FleetTraffic.paced(third, FleetTraffic.MIB, () -> {
      long start = System.nanoTime();
      third.run("systemctl", "restart", "edge-proxy");
      restartMillis[0] = (System.nanoTime() - start) / 1_000_000;
    });

    System.out.printf("fleet: systemctl restart with a download open took %d ms (drainTimeout 5s)%n", restartMillis[0]);
    assertThat(download.error()).as("cut at the drain timeout").isInstanceOf(IOException.class);
    assertThat(restartMillis[0]).isBetween(4_000L, 5_000L + 10_000L);
    String after = mainPid(third);
    assertThat(after).isNotEqualTo(before);
    await("edge-3 ready again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
        .until(() -> "ready".equals(admin(third, "/readyz")));
    // the launcher's archive of the jar edge-proxy.jar points at (the upgrade's)
    String archive = STATE_DIR + "/edge-proxy-" + NEXT_VERSION + ".jsa";
    assertThat(third.run("ls", STATE_DIR)).contains(Path.of(archive).getFileName().toString());
    assertThat(third.run("cat", "/proc/" + after + "/maps")).as("the new process maps the archive").contains(archive);
  }

  @Test
  @Order(10)
  void rollbackIsOneVariable() {
    Map<String, String> rollback = vars(nextJar, NEXT_VERSION, allowList("*.apps.example.test", "new.example.test"));
    rollback.put("edge_proxy_rollback_version", json(installedVersion));

    Ansible.Run site = timer.time("site.yml: rollback", () -> site(rollback));

    assertThat(site.exitCode()).as(site.describe()).isZero();
    for (NspawnNode node : nodes) {
      assertThat(status(node)).as(node.name()).contains("\"version\":\"" + installedVersion + "\"");
    }
    Ansible.Run check = timer.time("check.yml: after the rollback", FleetE2eTest::check);
    assertThat(check.exitCode()).as("site.yml also put edge-3's allow-list back: " + check.describe()).isZero();
  }

  @Test
  @Order(11)
  void aFailedNodeStopsTheRolloutAndTheOthersKeepServing() {
    Map<String, String> broken = vars(nextJar, NEXT_VERSION, allowList("*.apps.example.test", "new.example.test"));
    // the first node refuses a jar whose checksum is not the pinned one
    broken.put("edge_proxy_jar_sha256", json("0".repeat(64)));

    Ansible.Run site = timer.time("site.yml: a failing first node", () -> site(broken));

    assertThat(site.exitCode()).as(site.describe()).isNotZero();
    assertThat(site.recap()).as(site.describe()).containsOnlyKeys("edge-1");
    assertThat(site.recap().get("edge-1").failed()).isEqualTo(1);
    for (NspawnNode node : nodes) {
      assertThat(admin(node, "/readyz")).as(node.name() + " still serving").isEqualTo("ready");
      assertThat(status(node)).contains("\"version\":\"" + installedVersion + "\"");
    }
  }

  // ---- helpers

  private static Ansible.Run site(Map<String, String> vars) {
    return ansible.playbook("site.yml", inventory, toJson(vars), PLAYBOOK_TIMEOUT);
  }

  private static Ansible.Run check() {
    return ansible.playbook("check.yml", inventory, "{}", Duration.ofMinutes(5));
  }

  private static Map<String, String> vars(Path jarSrc, String version, String allowList) {
    Map<String, String> vars = new java.util.LinkedHashMap<>();
    vars.put("edge_proxy_jar_src", json(jarSrc.toString()));
    vars.put("edge_proxy_version", json(version));
    // the Java runtime is in the node's root already, and the nodes have no route to a mirror
    vars.put("edge_proxy_manage_packages", "false");
    vars.put("edge_proxy_env", "{\"EDGE_SYNC_TOKEN\": " + json(TOKEN) + "}");
    vars.put("edge_proxy_allowlist", allowList);
    vars.put("edge_proxy_wait_timeout", "90");
    vars.put("edge_proxy_drain_wait", "60");
    String tls = json(BACKEND_ADDRESS + ":" + nginx.tlsPort());
    String http = json(BACKEND_ADDRESS + ":" + nginx.httpPort());
    vars.put("edge_proxy_config_extra", "{"
        + "\"backends\": {"
        + "  \"traefik\": {\"tls\": [" + tls + "], \"http\": [" + http + "],"
        + "    \"healthCheck\": {\"interval\": \"1s\", \"timeout\": \"1s\", \"unhealthyAfter\": 3, \"healthyAfter\": 1}},"
        + "  \"forgejo\": {\"tls\": [" + tls + "]}},"
        + "\"limits\": {\"drainTimeout\": \"5s\", \"maxConnections\": " + MAX_CONNECTIONS + "}}");
    return vars;
  }

  private static String allowList(String... hosts) {
    StringBuilder out = new StringBuilder("{\"allow\": [");
    for (int i = 0; i < hosts.length; i++) {
      out.append(i == 0 ? "" : ", ").append(json(hosts[i]));
    }
    return out.append("], \"deny\": []}").toString();
  }

  /** The body of an admin path, asked from inside the node (the admin listener is on its loopback). */
  private static String admin(NspawnNode node, String path) {
    Exec.Result r = node.exec(Duration.ofSeconds(15), "curl", "-s", "--max-time", "10", "http://127.0.0.1:9901" + path);
    return r.stdout().strip();
  }

  private static String status(NspawnNode node) {
    return admin(node, "/status").replace(" ", "");
  }

  private static String mainPid(NspawnNode node) {
    String pid = node.run("systemctl", "show", "-p", "MainPID", "--value", "edge-proxy").strip();
    assertThat(pid).isNotEqualTo("0");
    return pid;
  }

  /** The hard limit of "Max open files" in a /proc/PID/limits text. */
  private static long hardOpenFiles(String procLimits) {
    Matcher m = Pattern.compile("(?m)^Max open files\\s+\\S+\\s+(\\S+)").matcher(procLimits);
    assertThat(m.find()).as(procLimits).isTrue();
    return "unlimited".equals(m.group(1)) ? Long.MAX_VALUE : Long.parseLong(m.group(1));
  }

  private static String field(String procStatus, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + ":\\s*(.*)$").matcher(procStatus);
    assertThat(m.find()).as(name + " in " + procStatus).isTrue();
    return m.group(1).strip();
  }

  private static String implementationVersion(Path jarFile) throws IOException {
    try (JarFile j = new JarFile(jarFile.toFile())) {
      return j.getManifest().getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION);
    }
  }

  /** A copy of {@code source} whose manifest says {@code version}: the "new release" of the upgrade test. */
  private static Path withVersion(Path source, String version, Path target) throws IOException {
    try (JarFile in = new JarFile(source.toFile());
        ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(target))) {
      Manifest manifest = new Manifest(in.getManifest());
      manifest.getMainAttributes().put(Attributes.Name.IMPLEMENTATION_VERSION, version);
      out.putNextEntry(new ZipEntry(JarFile.MANIFEST_NAME));
      manifest.write(out);
      out.closeEntry();
      for (ZipEntry entry : java.util.Collections.list(in.entries())) {
        if (entry.getName().equals(JarFile.MANIFEST_NAME)) {
          continue;
        }
        out.putNextEntry(new ZipEntry(entry.getName()));
        try (InputStream data = in.getInputStream(entry)) {
          data.transferTo(out);
        }
        out.closeEntry();
      }
    }
    return target;
  }

  private static void run(String... command) {
    Exec.Result r = Exec.run(List.of(command), Duration.ofSeconds(20));
    if (r.exitCode() != 0) {
      throw new IllegalStateException(r.describe());
    }
  }

  private static void ip(String... arguments) {
    List<String> argv = new ArrayList<>(List.of("ip"));
    argv.addAll(List.of(arguments));
    Exec.run(argv, Duration.ofSeconds(20));
  }

  private static String toJson(Map<String, String> vars) {
    StringBuilder out = new StringBuilder("{");
    vars.forEach((k, v) -> out.append(out.length() > 1 ? ", " : "").append(json(k)).append(": ").append(v));
    return out.append('}').toString();
  }

  private static String json(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }
}
