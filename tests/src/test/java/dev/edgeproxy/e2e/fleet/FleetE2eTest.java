package dev.edgeproxy.e2e.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.LargeFile;
import dev.edgeproxy.e2e.support.NginxBackend;
import dev.edgeproxy.e2e.support.TlsConnection;
import dev.edgeproxy.e2e.support.Tools;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
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
  private static final long MIB = 1024 * 1024;
  private static final int NODES = 3;
  /** CAP_NET_BIND_SERVICE is capability 10. */
  private static final String ONLY_NET_BIND_SERVICE = "0000000000000400";

  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

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
    Path root = NspawnRoot.get();
    installedVersion = implementationVersion(jar);
    nextJar = withVersion(jar, NEXT_VERSION, work.resolve("edge-proxy-next.jar"));

    ip("link", "del", BACKEND_LINK);
    // a veth pair with one end used: the kernel here has no dummy interfaces
    run("ip", "link", "add", BACKEND_LINK, "type", "veth", "peer", "name", BACKEND_LINK + "p");
    run("ip", "link", "set", BACKEND_LINK + "p", "up");
    run("ip", "addr", "add", BACKEND_ADDRESS + "/32", "dev", BACKEND_LINK);
    run("ip", "link", "set", BACKEND_LINK, "up");
    nginx = dump.watch(NginxBackend.start(List.of(BACKEND_ADDRESS)));

    List<CompletableFuture<NspawnNode>> booting = new ArrayList<>();
    for (int i = 1; i <= NODES; i++) {
      int index = i;
      NodeNetwork network = NodeNetwork.create(index);
      networks.add(network);
      run("ip", "-n", "edge-e2e-" + index, "route", "add", BACKEND_ADDRESS + "/32", "via", network.hostAddress());
      booting.add(CompletableFuture.supplyAsync(() -> NspawnNode.boot("edge-" + index, root, network, work)));
    }
    for (CompletableFuture<NspawnNode> boot : booting) {
      try {
        nodes.add(dump.watch(boot.get(3, TimeUnit.MINUTES)));
      } catch (ExecutionException e) {
        throw new AssertionError("a node did not boot", e.getCause());
      }
    }
    StringBuilder inv = new StringBuilder("entrance:\n  hosts:\n");
    for (NspawnNode node : nodes) {
      inv.append("    ").append(node.name()).append(": {").append(node.inventoryVars()).append("}\n");
    }
    inventory = work.resolve("inventory.yml");
    Files.writeString(inventory, inv);
  }

  @AfterAll
  static void powerOff() {
    for (NspawnNode node : nodes) {
      node.close();
    }
    networks.forEach(NodeNetwork::close);
    if (nginx != null) {
      nginx.close();
    }
    ip("link", "del", BACKEND_LINK);
  }

  // ---- one node, as a customer's

  @Test
  @Order(1)
  void siteInstallsEveryNodeOneAfterTheOtherAndEachAnswersReady() {
    Ansible.Run site = site(vars(jar, installedVersion, allowList("*.apps.example.test")));

    assertThat(site.exitCode()).as(site.describe()).isZero();
    assertThat(site.recap()).as(site.describe()).hasSize(NODES)
        .allSatisfy((host, recap) -> assertThat(recap.failed()).isZero());
    System.out.printf("fleet: first site.yml on %d nodes took %d s%n", NODES, site.took().toSeconds());
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
    assertThat(tlsGet(node, "www.apps.example.test")).as("IPv4 on 443").startsWith("addr=");
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
    Exec.Result state = node.exec("nsenter", "--target=" + pid, "--mount", "touch", "/var/lib/edge-proxy/probe");
    assertThat(state.exitCode()).as(state.describe()).isZero();
    node.run("rm", "-f", "/var/lib/edge-proxy/probe");
    assertThat(node.run("ls", "/var/lib/edge-proxy")).contains("allowlist.json").contains("edge-proxy.jsa");
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
  void hostTuningIsAppliedAndTheDescriptorLimitFitsMaxConnections() {
    NspawnNode node = nodes.get(0);
    String limits = node.run("cat", "/proc/" + mainPid(node) + "/limits");
    // the role default limits.maxConnections 20000: 2 x 20000 + 4096
    assertThat(limits).containsPattern("Max open files\\s+44096\\s+44096");
    assertThat(node.run("sysctl", "-n", "net.core.somaxconn").strip()).isEqualTo("4096");
    assertThat(node.run("sysctl", "-n", "net.ipv4.ip_local_port_range").strip()).matches("10240\\s+65000");
    assertThat(Long.parseLong(node.run("sysctl", "-n", "fs.file-max").strip())).isGreaterThanOrEqualTo(44096);
    assertThat(node.run("cat", "/etc/sysctl.d/60-edge-proxy.conf")).contains("net.core.somaxconn = 4096");
  }

  @Test
  @Order(6)
  void aSecondRunChangesNothing() {
    Ansible.Run again = site(vars(jar, installedVersion, allowList("*.apps.example.test")));

    assertThat(again.exitCode()).as(again.describe()).isZero();
    assertThat(again.recap()).as(again.describe()).hasSize(NODES)
        .allSatisfy((host, recap) -> assertThat(recap.changed()).as(host).isZero());
  }

  @Test
  @Order(7)
  void aReloadAppliesAnAllowListChangeWhileADownloadContinues() throws Exception {
    NspawnNode node = nodes.get(0);
    String pidBefore = mainPid(node);
    assertThat(tlsGet(node, "new.example.test")).as("not yet allowed").isNull();

    AtomicLong reloadedAt = new AtomicLong();
    CompletableFuture<Download> transfer = CompletableFuture.supplyAsync(
        () -> downloadSlowlyUntil(node, () -> tlsGet(node, "new.example.test") != null, reloadedAt));
    Ansible.Run site = site(vars(jar, installedVersion, allowList("*.apps.example.test", "new.example.test")));
    Download download = transfer.get(5, TimeUnit.MINUTES);

    assertThat(site.exitCode()).as(site.describe()).isZero();
    assertThat(reloadedAt.get()).as("the new host was allowed while the download ran").isPositive();
    assertThat(download.error()).as("the download through " + node.name() + " during the reload").isNull();
    assertThat(download.sha256()).isEqualTo(LargeFile.get().sha256());
    assertThat(mainPid(node)).as("reloaded, not restarted").isEqualTo(pidBefore);
    for (NspawnNode each : nodes) {
      assertThat(tlsGet(each, "new.example.test")).as(each.name()).startsWith("addr=");
    }
  }

  @Test
  @Order(8)
  void checkPassesOnAConsistentFleet() {
    Ansible.Run check = check();

    assertThat(check.exitCode()).as(check.describe()).isZero();
    assertThat(check.output()).contains("every node is ready, on version " + installedVersion);
  }

  @Test
  @Order(9)
  void aRollingUpgradeDrainsEachNodeAndLetsADownloadFinish() throws Exception {
    NspawnNode first = nodes.get(0);
    Ansible.Run[] upgrade = new Ansible.Run[1];
    // slow (128 KiB/s) until the node is taken out of service, full speed after: the download is in flight
    // when the drain starts, and finishes during the role's wait for the connections
    AtomicLong drainedAt = new AtomicLong();
    CompletableFuture<Download> transfer = CompletableFuture.supplyAsync(() -> downloadUntilDrained(first, drainedAt));
    upgrade[0] = site(vars(nextJar, NEXT_VERSION, allowList("*.apps.example.test", "new.example.test")));
    Download download = transfer.get(5, TimeUnit.MINUTES);

    assertThat(upgrade[0].exitCode()).as(upgrade[0].describe()).isZero();
    System.out.printf("fleet: rolling upgrade of %d nodes took %d s%n", NODES, upgrade[0].took().toSeconds());
    assertThat(drainedAt.get()).as("the download saw its node taken out of service").isPositive();
    assertThat(download.error()).as("the download through " + first.name() + " during its upgrade").isNull();
    assertThat(download.sha256()).isEqualTo(LargeFile.get().sha256());
    assertThat(first.run("journalctl", "-u", "edge-proxy", "--no-pager", "-o", "cat"))
        .contains("taken out of service");
    for (NspawnNode node : nodes) {
      assertThat(status(node)).as(node.name()).contains("\"version\":\"" + NEXT_VERSION + "\"");
    }
    // one node at a time: edge-2 is drained only after edge-1 answered /readyz again
    String out = upgrade[0].result().stdout();
    int firstReady = out.indexOf("ok: [edge-1]", out.indexOf("TASK [edge_proxy : Wait until the admin endpoint answers"));
    int secondDrain = out.indexOf("[edge-2]", out.lastIndexOf("RUNNING HANDLER [edge_proxy : Take edge-proxy out of service"));
    assertThat(firstReady).as(out).isPositive().isLessThan(secondDrain);
    Ansible.Run check = check();
    assertThat(check.exitCode()).as(check.describe()).isZero();
  }

  private static Download downloadUntilDrained(NspawnNode node, AtomicLong drainedAt) {
    return downloadSlowlyUntil(node, () -> status(node).contains("\"outOfService\":true"), drainedAt);
  }

  /**
   * Downloads the 64 MiB file through the node's 443 at 128 KiB/s until {@code event} (looked at once a
   * second) holds, then at full speed; {@code seenAt} records when it held.
   */
  private static Download downloadSlowlyUntil(
      NspawnNode node, java.util.function.BooleanSupplier event, AtomicLong seenAt) {
    MessageDigest digest = LargeFile.newDigest();
    long start = System.nanoTime();
    AtomicLong lastLook = new AtomicLong();
    Throwable error = catchThrowable(() -> {
      try (TlsConnection c = TlsConnection.open(new InetSocketAddress(node.network().nodeAddress(), 443),
          "big.apps.example.test", 120_000)) {
        c.download("/" + LargeFile.NAME, digest, 16 * 1024, total -> {
          if (seenAt.get() != 0) {
            return;
          }
          long now = System.nanoTime();
          if (now - lastLook.get() > TimeUnit.SECONDS.toNanos(1)) {
            lastLook.set(now);
            if (event.getAsBoolean()) {
              seenAt.set(now);
              return;
            }
          }
          long wait = start + total * 1_000_000_000L / (128 * 1024) - System.nanoTime();
          if (wait > 0) {
            try {
              TimeUnit.NANOSECONDS.sleep(Math.min(wait, TimeUnit.SECONDS.toNanos(1)));
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              throw new IOException(e);
            }
          }
        });
      }
    });
    return new Download(error, error == null ? HexFormat.of().formatHex(digest.digest()) : null, System.nanoTime());
  }

  @Test
  @Order(10)
  void checkNamesTheNodeThatDriftedToAnOlderAllowList() {
    NspawnNode third = nodes.get(2);
    third.run("sh", "-c", "printf 'allow:\\n- \"*.apps.example.test\"\\ndeny: []\\n' > /etc/edge-proxy/allowlist.yaml"
        + " && systemctl reload edge-proxy");
    await("edge-3 loads the older allow-list").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(300))
        .until(() -> tlsGet(third, "new.example.test") == null);

    Ansible.Run check = check();

    assertThat(check.exitCode()).as(check.describe()).isNotZero();
    assertThat(check.output()).as(check.describe()).containsPattern("edge-3: snapshot \\S+, the others have \\S+")
        .doesNotContain("edge-1: snapshot").doesNotContain("edge-2: snapshot");
  }

  @Test
  @Order(11)
  void aRestartDrainsWithinDrainTimeout() throws Exception {
    NspawnNode third = nodes.get(2);
    String before = mainPid(third);
    long[] restartMillis = new long[1];
    // 1 MiB/s: the download outlives the role's drainTimeout (5 s here), so the restart cuts it
    Download download = download(third, MIB, () -> {
      long start = System.nanoTime();
      third.run("systemctl", "restart", "edge-proxy");
      restartMillis[0] = (System.nanoTime() - start) / 1_000_000;
    });

    System.out.printf("fleet: systemctl restart with a download open took %d ms (drainTimeout 5s)%n", restartMillis[0]);
    assertThat(download.error()).as("cut at the drain timeout").isInstanceOf(IOException.class);
    assertThat(restartMillis[0]).isBetween(4_000L, 5_000L + 10_000L);
    assertThat(mainPid(third)).isNotEqualTo(before);
    await("edge-3 ready again").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
        .until(() -> "ready".equals(admin(third, "/readyz")));
  }

  @Test
  @Order(12)
  void rollbackIsOneVariable() {
    Map<String, String> rollback = vars(nextJar, NEXT_VERSION, allowList("*.apps.example.test", "new.example.test"));
    rollback.put("edge_proxy_rollback_version", json(installedVersion));

    Ansible.Run site = site(rollback);

    assertThat(site.exitCode()).as(site.describe()).isZero();
    for (NspawnNode node : nodes) {
      assertThat(status(node)).as(node.name()).contains("\"version\":\"" + installedVersion + "\"");
    }
    Ansible.Run check = check();
    assertThat(check.exitCode()).as("site.yml also put edge-3's allow-list back: " + check.describe()).isZero();
  }

  @Test
  @Order(13)
  void aFailedNodeStopsTheRolloutAndTheOthersKeepServing() {
    Map<String, String> broken = vars(nextJar, NEXT_VERSION, allowList("*.apps.example.test", "new.example.test"));
    // the first node refuses a jar whose checksum is not the pinned one
    broken.put("edge_proxy_jar_sha256", json("0".repeat(64)));

    Ansible.Run site = site(broken);

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
        + "\"limits\": {\"drainTimeout\": \"5s\"}}");
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

  private static String field(String procStatus, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + ":\\s*(.*)$").matcher(procStatus);
    assertThat(m.find()).as(name + " in " + procStatus).isTrue();
    return m.group(1).strip();
  }

  /** The backend's one-line answer to GET / through the node's 443 for {@code sni}, or null when refused. */
  private static String tlsGet(NspawnNode node, String sni) {
    try {
      return TlsConnection.get(new InetSocketAddress(node.network().nodeAddress(), 443), sni, "/").body().strip();
    } catch (IOException refused) {
      return null;
    }
  }

  private record Download(Throwable error, String sha256, long doneAt) {}

  /**
   * Downloads the 64 MiB file through the node's 443 at about {@code bytesPerSecond}, running {@code during}
   * once the first MiB has arrived; returns when both are done.
   */
  private static Download download(NspawnNode node, long bytesPerSecond, ThrowingRunnable during) throws Exception {
    MessageDigest digest = LargeFile.newDigest();
    CompletableFuture<Void> started = new CompletableFuture<>();
    CompletableFuture<Download> transfer = CompletableFuture.supplyAsync(() -> {
      long start = System.nanoTime();
      Throwable error = catchThrowable(() -> {
        try (TlsConnection c = TlsConnection.open(new InetSocketAddress(node.network().nodeAddress(), 443),
            "big.apps.example.test", 120_000)) {
          c.download("/" + LargeFile.NAME, digest, 64 * 1024, total -> {
            if (total >= MIB) {
              started.complete(null);
            }
            long due = start + total * 1_000_000_000L / bytesPerSecond;
            long wait = due - System.nanoTime();
            if (wait > 0) {
              try {
                TimeUnit.NANOSECONDS.sleep(wait);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
              }
            }
          });
        }
      });
      started.complete(null);
      return new Download(error, error == null ? HexFormat.of().formatHex(digest.digest()) : null, System.nanoTime());
    });
    started.get(60, TimeUnit.SECONDS);
    during.run();
    return transfer.get(5, TimeUnit.MINUTES);
  }

  @FunctionalInterface
  private interface ThrowingRunnable {
    void run() throws Exception;
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
