package dev.edgeproxy.e2e.fleet;

import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.ChildProcess;
import dev.edgeproxy.e2e.support.Diagnosable;
import dev.edgeproxy.e2e.support.Exec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One entrance node: a real systemd booted as PID 1 by {@code systemd-nspawn} from the shared
 * Debian root ({@link NspawnRoot}) with {@code --volatile=overlay} (its writes go to a tmpfs and
 * vanish with it), in a network namespace of its own ({@link NodeNetwork}: reached from the test at
 * {@link NodeNetwork#nodeAddress()}). Ansible reaches it with the {@code community.docker.nsenter}
 * connection (pipelined: {@link Ansible#CONNECTION}) at the container's PID 1 as seen from here.
 *
 * <p>Measured on this kind of machine: nspawn needs {@code --register=no --keep-unit} (no host
 * D-Bus), user namespaces ({@code -U}) do not work; {@code SIGRTMIN+4} to the container's init
 * powers it off cleanly; {@code SYSTEMD_NSPAWN_API_VFS_WRITABLE=network} leaves {@code /proc/sys/net}
 * writable (the rest of {@code /proc/sys}, e.g. {@code fs.file-max}, stays the host's, read-only).
 */
final class NspawnNode implements AutoCloseable, Diagnosable {
  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

  private final String name;
  private final NodeNetwork network;
  private final ChildProcess nspawn;
  private final long init;

  private NspawnNode(String name, NodeNetwork network, ChildProcess nspawn, long init) {
    this.name = name;
    this.network = network;
    this.nspawn = nspawn;
    this.init = init;
  }

  /** Boots {@code name} in {@code network} and waits until systemd says the system is up. */
  static NspawnNode boot(String name, Path root, NodeNetwork network, Path workDir) {
    removeCgroups(name);
    // Each node in a cgroup of its own: with --keep-unit nspawn puts the container's systemd in "payload"
    // below its own cgroup, and two containers sharing one would manage (and kill) each other's units.
    StringBuilder enterCgroup = new StringBuilder();
    for (Path base : cgroupHierarchies()) {
      Path dir = base.resolve(cgroupName(name));
      enterCgroup.append("mkdir -p ").append(dir).append(" && echo $$ > ").append(dir).append("/cgroup.procs && ");
    }
    enterCgroup.append("exec \"$@\"");
    ChildProcess nspawn =
        ChildProcess.start(
            "nspawn-" + name,
            List.of(
                "sh", "-c", enterCgroup.toString(), "nspawn",
                "systemd-nspawn",
                "--quiet",
                "--boot",
                "--directory=" + root,
                "--volatile=overlay",
                "--register=no",
                "--keep-unit",
                "--machine=" + name,
                "--hostname=" + name,
                "--network-namespace-path=" + network.namespacePath(),
                "--console=passive",
                // the container's ceiling for LimitNOFILE (its init cannot raise its own hard limit); where
                // this process may not raise its hard limit (no CAP_SYS_RESOURCE), the ceiling stays ours
                "--rlimit=RLIMIT_NOFILE=1048576"),
            workDir,
            // /proc/sys/net writable (the node's own namespace), so the role's sysctl settings apply
            java.util.Map.of("SYSTEMD_NSPAWN_API_VFS_WRITABLE", "network"));
    long init;
    try {
      init =
          await("systemd PID 1 of " + name)
              .atMost(Duration.ofSeconds(30))
              .pollInterval(Duration.ofMillis(100))
              .until(() -> containerInit(nspawn), Optional::isPresent)
              .orElseThrow();
    } catch (RuntimeException | AssertionError e) {
      nspawn.close();
      throw new AssertionError("node " + name + " did not start\n" + nspawn.diagnostics(), e);
    }
    NspawnNode node = new NspawnNode(name, network, nspawn, init);
    // systemctl needs systemd's bus socket, which appears a moment after PID 1 starts
    Exec.Result up;
    long deadline = System.nanoTime() + BOOT_TIMEOUT.toNanos();
    do {
      up = node.exec(BOOT_TIMEOUT, "systemctl", "is-system-running", "--wait");
    } while (up.stderr().contains("Failed to connect to bus")
        && System.nanoTime() < deadline
        && sleepBriefly());
    String state = up.stdout().strip();
    if (!state.equals("running") && !state.equals("degraded")) {
      String why = node.diagnostics();
      node.close();
      throw new AssertionError("node " + name + " did not boot: " + up.describe() + "\n" + why);
    }
    return node;
  }

  private static boolean sleepBriefly() {
    try {
      Thread.sleep(200);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  String name() {
    return name;
  }

  NodeNetwork network() {
    return network;
  }

  /** The container's init as seen from here: the target of nsenter and of the power-off signal. */
  long initPid() {
    return init;
  }

  /** Runs a command inside the node (all its namespaces), as root. */
  Exec.Result exec(Duration timeout, String... command) {
    List<String> argv =
        new ArrayList<>(
            List.of(
                "nsenter", "--target=" + init, "--mount", "--uts", "--ipc", "--net", "--pid", "--"));
    argv.addAll(List.of(command));
    return Exec.run(argv, timeout);
  }

  Exec.Result exec(String... command) {
    return exec(COMMAND_TIMEOUT, command);
  }

  /** Runs a command inside the node and returns its standard output; fails when it exits non-zero. */
  String run(String... command) {
    Exec.Result r = exec(command);
    if (r.exitCode() != 0) {
      throw new AssertionError("on " + name + ": " + r.describe());
    }
    return r.stdout();
  }

  /** Ansible inventory lines for this node (the host's vars). */
  String inventoryVars() {
    return "ansible_connection: " + Ansible.CONNECTION + ", ansible_become: false, ansible_nsenter_pid: "
        + init
        + ", ansible_python_interpreter: /usr/bin/python3";
  }

  /** The PID of the container's systemd: nspawn's descendant whose command is systemd. */
  private static Optional<Long> containerInit(ChildProcess nspawn) {
    if (!nspawn.alive()) {
      throw new IllegalStateException("systemd-nspawn exited\n" + nspawn.diagnostics());
    }
    return ProcessHandle.of(nspawn.pid()).stream()
        .flatMap(ProcessHandle::descendants)
        .filter(p -> comm(p.pid()).equals("systemd"))
        .map(ProcessHandle::pid)
        .findFirst();
  }

  private static String comm(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
    } catch (IOException e) {
      return "";
    }
  }

  @Override
  public String diagnostics() {
    StringBuilder out = new StringBuilder("--- node " + name + " (init " + init + ") ---\n");
    if (nspawn.alive()) {
      Exec.Result journal = exec(Duration.ofSeconds(20), "journalctl", "--no-pager", "-n", "120", "-o", "short-monotonic");
      out.append(journal.stdout()).append(journal.stderr());
    }
    return out.append(nspawn.diagnostics()).toString();
  }

  /** Powers the node off (SIGRTMIN+4 to its init), then removes what nspawn leaves behind. */
  @Override
  public void close() {
    if (nspawn.alive()) {
      Exec.run(List.of("kill", "-s", "SIGRTMIN+4", Long.toString(init)), Duration.ofSeconds(10));
      try {
        await("node " + name + " powered off")
            .atMost(Duration.ofSeconds(40))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> !nspawn.alive());
      } catch (RuntimeException | AssertionError e) {
        nspawn.close();
      }
    }
    nspawn.close();
    try {
      deleteTree(Path.of("/run/systemd/nspawn/propagate/" + name));
      Files.deleteIfExists(Path.of("/run/systemd/nspawn/unix-export/" + name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    network.close();
    removeCgroups(name);
  }

  /**
   * Where systemd keeps its cgroups: the named systemd and the unified hierarchies of a hybrid set-up (as
   * here), or the cgroup2 root of a unified one.
   */
  private static List<Path> cgroupHierarchies() {
    List<Path> out = new ArrayList<>();
    for (String name : List.of("systemd", "unified")) {
      Path dir = Path.of("/sys/fs/cgroup", name);
      if (Files.isRegularFile(dir.resolve("cgroup.procs"))) {
        out.add(dir);
      }
    }
    if (out.isEmpty()) {
      out.add(Path.of("/sys/fs/cgroup"));
    }
    return out;
  }

  private static String cgroupName(String node) {
    return "edge-e2e-" + node;
  }

  /** Removes the node's (empty, once it is off) cgroups, deepest first. */
  private static void removeCgroups(String node) {
    for (Path hierarchy : cgroupHierarchies()) {
      Path dir = hierarchy.resolve(cgroupName(node));
      if (Files.isDirectory(dir)) {
        Exec.run(List.of("find", dir.toString(), "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"),
            Duration.ofSeconds(20));
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var walk = Files.walk(dir)) {
      for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
