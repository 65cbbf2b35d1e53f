package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.e2e.support.Tools;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Ansible role in ansible/: lint (production profile), syntax check, and a real apply of the real playbook
 * to localhost with every path below a scratch root (edge_proxy_root). There is no systemd PID 1 and no Docker
 * here, so the role runs with edge_proxy_manage_service/user/packages false; the unit is checked with
 * {@code systemd-analyze verify} when that is installed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AnsibleRoleTest {

  private static final Duration ANSIBLE_TIMEOUT = Duration.ofMinutes(4);
  private static final Duration JAR_TIMEOUT = Duration.ofSeconds(60);
  private static final String SYNC_TOKEN = "sync-token-from-the-test";
  private static final String WEBHOOK_SECRET = "webhook-secret-from-the-test";
  private static final Pattern RECAP =
      Pattern.compile("localhost\\s*:\\s*ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)");

  private static Path ansibleDir;
  private static Path jar;
  private static Path work;
  private static Path root;
  private static Result firstApply;

  @BeforeAll
  static void tools() {
    Tools.require("ansible-playbook", "ansible-lint");
    jar = Path.of(System.getProperty("edgeproxy.jar", "../edge-proxy/target/edge-proxy.jar")).toAbsolutePath().normalize();
    Tools.requireThat(Files.isRegularFile(jar), "the shaded jar is not built: " + jar);
    ansibleDir = WorkDirs.target().getParent().getParent().resolve("ansible");
    assertThat(ansibleDir.resolve("playbooks/entrance-node.yml")).isRegularFile();
  }

  @Test
  @Order(1)
  void lintPassesWithTheProductionProfile() {
    // .ansible-lint in ansible/ selects the production profile and offline mode
    Result lint = run(ansibleDir, Map.of(), "ansible-lint", "--nocolor");

    assertThat(lint.exitCode()).as(lint.describe()).isZero();
    assertThat(lint.stdout() + lint.stderr()).as(lint.describe()).contains("Passed with production profile");
  }

  @Test
  @Order(2)
  void playbookPassesTheSyntaxCheck() {
    Result syntax = run(ansibleDir, ansibleEnv(), "ansible-playbook", "--syntax-check", "playbooks/entrance-node.yml");

    assertThat(syntax.exitCode()).as(syntax.describe()).isZero();
  }

  @Test
  @Order(3)
  void firstRunInstallsEveryFileWithTightModes() throws IOException {
    Result apply = applied();

    assertThat(recap(apply).changed()).as(apply.describe()).isPositive();
    assertMode(root.resolve("etc/edge-proxy/edge-proxy.env"), "rw-------");
    assertMode(root.resolve("etc/edge-proxy/edge-proxy.yaml"), "rw-r-----");
    assertMode(root.resolve("etc/edge-proxy/allowlist.yaml"), "rw-r-----");
    assertMode(root.resolve("etc/edge-proxy"), "rwxr-xr-x");
    assertMode(root.resolve("var/lib/edge-proxy"), "rwxr-x---");
    assertMode(root.resolve("opt/edge-proxy/edge-proxy-0.1.0-SNAPSHOT.jar"), "rw-r--r--");
    assertThat(Files.readSymbolicLink(root.resolve("opt/edge-proxy/edge-proxy.jar")))
        .isEqualTo(Path.of("edge-proxy-0.1.0-SNAPSHOT.jar"));
    assertThat(Files.mismatch(jar, root.resolve("opt/edge-proxy/edge-proxy.jar"))).isEqualTo(-1L);
  }

  @Test
  @Order(4)
  void installedConfigurationValidatesWithTheJarAndTheSecretsFile() throws IOException {
    applied();
    Path config = root.resolve("etc/edge-proxy/edge-proxy.yaml");
    Map<String, String> secrets = readEnvironmentFile(root.resolve("etc/edge-proxy/edge-proxy.env"));

    Result validate = run(work, secrets, "java", "-jar", root.resolve("opt/edge-proxy/edge-proxy.jar").toString(),
        "validate", "--config", config.toString());

    assertThat(secrets).containsEntry("EDGE_SYNC_TOKEN", SYNC_TOKEN).containsEntry("EDGE_WEBHOOK_SECRET", WEBHOOK_SECRET);
    assertThat(validate.exitCode()).as(validate.describe()).isZero();
    assertThat(validate.stdout().strip()).as(validate.describe()).isEqualTo("OK");
    String yaml = Files.readString(config);
    assertThat(yaml)
        .contains("syncToken: ${EDGE_SYNC_TOKEN}")
        .contains("path: " + root.resolve("etc/edge-proxy/allowlist.yaml"))
        .contains("stateFile: " + root.resolve("var/lib/edge-proxy/allowlist.json"))
        .doesNotContain(SYNC_TOKEN);
    assertThat(Files.readString(root.resolve("etc/edge-proxy/allowlist.yaml")))
        .contains("- '*.apps.example.com'")
        .contains("bücher.example.com");
  }

  @Test
  @Order(5)
  void unitIsHardenedAndKeepsSecretsOut() throws IOException {
    applied();
    Path unit = root.resolve("etc/systemd/system/edge-proxy.service");
    String text = Files.readString(unit);
    assertThat(Files.isExecutable(root.resolve("opt/edge-proxy/edge-proxy"))).as("launcher installed").isTrue();

    assertThat(text.lines().toList()).contains(
        "Type=simple",
        // The launcher sets the JVM flags and keeps the AppCDS archive in the state directory.
        "ExecStart=" + root.resolve("opt/edge-proxy/edge-proxy") + " run --config " + root.resolve("etc/edge-proxy/edge-proxy.yaml"),
        "Environment=\"JAVA=/usr/bin/java\" \"JAVA_OPTS=-XX:+UseSerialGC -Xms16m -Xmx256m -XX:MaxDirectMemorySize=256m"
            + " -Dio.netty.tryReflectionSetAccessible=true -XX:+ExitOnOutOfMemoryError\"",
        "Environment=EDGE_PROXY_JAR=" + root.resolve("opt/edge-proxy/edge-proxy.jar")
            + " EDGE_PROXY_CDS_DIR=" + root.resolve("var/lib/edge-proxy"),
        "ExecReload=/bin/kill -HUP $MAINPID",
        "KillSignal=SIGTERM",
        "TimeoutStopSec=45s", // limits.drainTimeout 30s + 15s
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        "MemoryDenyWriteExecute=false",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK",
        "LimitNOFILE=44096", // 2 x limits.maxConnections (20000) + 4096
        "Environment=HOME=" + root.resolve("var/lib/edge-proxy"),
        "ReadWritePaths=" + root.resolve("var/lib/edge-proxy"),
        "EnvironmentFile=-" + root.resolve("etc/edge-proxy/edge-proxy.env"));
    assertThat(text).startsWith("#\n# Ansible managed\n").doesNotContain(SYNC_TOKEN).doesNotContain(WEBHOOK_SECRET);

    // optional by design (not every build machine has systemd): this part is skipped, even on CI, without it
    Assumptions.assumeTrue(systemdAnalyze().isPresent(), "systemd-analyze is not installed: the unit was not verified");
    Result verify = run(work, Map.of(), systemdAnalyze().get(), "verify", unit.toString());
    // verify exits 0 on unknown keys too; they show up as lines naming the file
    assertThat(verify.exitCode()).as(verify.describe()).isZero();
    assertThat(verify.stdout() + verify.stderr()).as(verify.describe()).doesNotContain(unit.toString());
  }

  @Test
  @Order(6)
  void secondRunChangesNothing() {
    applied();

    Result again = applyPlaybook(Map.of());

    assertThat(again.exitCode()).as(again.describe()).isZero();
    assertThat(recap(again).changed()).as(again.describe()).isZero();
  }

  @Test
  @Order(7)
  void aBadAllowListIsNeverInstalled() throws IOException {
    applied();
    Path allowList = root.resolve("etc/edge-proxy/allowlist.yaml");
    String before = Files.readString(allowList);

    Result bad = applyPlaybook(Map.of("edge_proxy_allowlist", "{\"allow\": [\"bad_host!.example.com\"], \"deny\": []}"),
        "--tags", "edge_proxy_configure");

    assertThat(bad.exitCode()).as(bad.describe()).isNotZero();
    assertThat(recap(bad).failed()).as(bad.describe()).isEqualTo(1);
    // the jar's own FILE:LINE:COLUMN report, from the scratch copy
    assertThat(bad.stdout()).as(bad.describe()).containsPattern("allowlist\\.yaml:\\d+:\\d+: ").contains("bad_host!");
    assertThat(Files.readString(allowList)).isEqualTo(before);
  }

  @Test
  @Order(8)
  void aConfigurationTheJarRejectsIsNeverInstalled() throws IOException {
    applied();
    Path config = root.resolve("etc/edge-proxy/edge-proxy.yaml");
    String before = Files.readString(config);

    // only the task that installs edge-proxy.yaml, without the scratch pre-validation: its own validate: refuses it
    Result bad = applyPlaybook(Map.of("edge_proxy_config", badConfig()), "--tags", "edge_proxy_config_file");

    assertThat(bad.exitCode()).as(bad.describe()).isNotZero();
    assertThat(bad.stdout()).as(bad.describe()).contains("failed to validate").contains("clientHelloTimeout");
    assertThat(Files.readString(config)).isEqualTo(before);
  }

  /** The first apply, done once for the tests that look at its result. */
  private static synchronized Result applied() {
    if (firstApply == null) {
      work = WorkDirs.create("ansible");
      root = work.resolve("root");
      Result apply = applyPlaybook(Map.of());
      assertThat(apply.exitCode()).as(apply.describe()).isZero();
      firstApply = apply;
    }
    return firstApply;
  }

  /** Runs the real playbook against localhost (connection local, no become) with the test variables plus {@code extraJson}. */
  private static Result applyPlaybook(Map<String, String> extraJson, String... arguments) {
    try {
      Files.createDirectories(work);
      Path inventory = work.resolve("inventory.yml");
      Files.writeString(inventory, String.join("\n",
          "entrance:",
          "  hosts:",
          "    localhost:",
          "      ansible_connection: local",
          "      ansible_become: false",
          "      ansible_python_interpreter: /usr/bin/python3",
          ""));
      PosixFileAttributes me = Files.readAttributes(work, PosixFileAttributes.class);
      Map<String, String> vars = new HashMap<>();
      vars.put("edge_proxy_root", json(root.toString()));
      vars.put("edge_proxy_manage_service", "false");
      vars.put("edge_proxy_manage_user", "false");
      vars.put("edge_proxy_manage_packages", "false");
      // whoever runs the test owns the scratch tree
      vars.put("edge_proxy_user", json(me.owner().getName()));
      vars.put("edge_proxy_group", json(me.group().getName()));
      vars.put("edge_proxy_config_owner", json(me.owner().getName()));
      vars.put("edge_proxy_jar_src", json(jar.toString()));
      vars.put("edge_proxy_env", "{\"EDGE_SYNC_TOKEN\": " + json(SYNC_TOKEN) + ", \"EDGE_WEBHOOK_SECRET\": " + json(WEBHOOK_SECRET) + "}");
      vars.put("edge_proxy_allowlist", "{\"allow\": [\"grafana.example.com\", \"*.apps.example.com\", \"bücher.example.com\"],"
          + " \"deny\": [\"admin.example.com\"], \"routes\": [{\"hosts\": [\"photos.example.com\"], \"backend\": \"traefik\"}]}");
      vars.putAll(extraJson);
      StringBuilder varsJson = new StringBuilder("{");
      vars.forEach((key, value) -> varsJson.append(varsJson.length() > 1 ? ", " : "").append(json(key)).append(": ").append(value));
      Path varsFile = work.resolve("vars-" + System.nanoTime() + ".json");
      Files.writeString(varsFile, varsJson.append("}").toString(), StandardCharsets.UTF_8);

      List<String> command = new ArrayList<>(List.of("ansible-playbook", "-i", inventory.toString(),
          "-e", "@" + varsFile, "playbooks/entrance-node.yml"));
      command.addAll(List.of(arguments));
      return run(ansibleDir, ansibleEnv(), command.toArray(String[]::new));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A configuration the preflight accepts but the jar refuses: a duration that is not one. */
  private static String badConfig() {
    return "{\"node\": {\"name\": \"bad\"},"
        + " \"listeners\": {\"tls\": {\"bind\": \"0.0.0.0:443\", \"clientHelloTimeout\": \"soon\"}, \"admin\": {\"bind\": \"127.0.0.1:9901\"}},"
        + " \"backends\": {\"traefik\": {\"tls\": [\"100.64.0.10:443\"]}}, \"defaultBackend\": \"traefik\","
        + " \"allowlist\": {\"stateFile\": " + json(root.resolve("var/lib/edge-proxy/allowlist.json").toString()) + "}}";
  }

  private static Map<String, String> ansibleEnv() {
    Path tmp = work == null ? WorkDirs.target().resolve("ansible-tmp") : work.resolve("ansible-tmp");
    return Map.of(
        "ANSIBLE_CONFIG", ansibleDir.resolve("ansible.cfg").toString(),
        "ANSIBLE_LOCAL_TEMP", tmp.resolve("local").toString(),
        "ANSIBLE_REMOTE_TEMP", tmp.resolve("remote").toString(),
        "ANSIBLE_NOCOLOR", "1",
        "ANSIBLE_RETRY_FILES_ENABLED", "false");
  }

  private static Optional<String> systemdAnalyze() {
    try {
      return Optional.of(Tools.path("systemd-analyze"));
    } catch (IllegalStateException notInstalled) {
      return Optional.empty();
    }
  }

  private record Recap(int ok, int changed, int unreachable, int failed) {}

  private static Recap recap(Result result) {
    Matcher m = RECAP.matcher(result.stdout());
    assertThat(m.find()).as("no PLAY RECAP for localhost\n" + result.describe()).isTrue();
    return new Recap(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
        Integer.parseInt(m.group(4)));
  }

  private static void assertMode(Path path, String mode) throws IOException {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).as(path.toString()).isEqualTo(mode);
  }

  /** KEY='value' lines, as the role writes them (values never hold quotes, backslashes or line breaks). */
  private static Map<String, String> readEnvironmentFile(Path file) throws IOException {
    Map<String, String> env = new HashMap<>();
    Pattern line = Pattern.compile("^([A-Za-z_][A-Za-z0-9_]*)='([^']*)'$");
    for (String text : Files.readAllLines(file)) {
      Matcher m = line.matcher(text);
      if (m.matches()) {
        env.put(m.group(1), m.group(2));
      } else {
        assertThat(text).as("line of " + file).startsWith("#");
      }
    }
    return env;
  }

  private static String json(String value) {
    StringBuilder out = new StringBuilder("\"");
    for (char c : value.toCharArray()) {
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    return out.append('"').toString();
  }

  private record Result(List<String> command, int exitCode, String stdout, String stderr) {
    String describe() {
      return "command " + command + " exited " + exitCode + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
    }
  }

  /** Runs a command in {@code dir} with extra environment variables; output through files, bounded in time. */
  private static Result run(Path dir, Map<String, String> env, String... command) {
    try {
      Path out = Files.createTempFile(WorkDirs.target(), "ansible-test", ".out");
      Path err = Files.createTempFile(WorkDirs.target(), "ansible-test", ".err");
      try {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        Duration timeout = "java".equals(command[0]) ? JAR_TIMEOUT : ANSIBLE_TIMEOUT;
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
          throw new AssertionError("did not finish within " + timeout + ": " + List.of(command)
              + "\n--- stdout ---\n" + Files.readString(out) + "\n--- stderr ---\n" + Files.readString(err));
        }
        return new Result(List.of(command), process.exitValue(), Files.readString(out), Files.readString(err));
      } finally {
        Files.deleteIfExists(out);
        Files.deleteIfExists(err);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + List.of(command), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
