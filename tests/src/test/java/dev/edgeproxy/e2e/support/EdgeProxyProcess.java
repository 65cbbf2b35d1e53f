package dev.edgeproxy.e2e.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;

/**
 * The real shaded jar ({@code -Dedgeproxy.jar}) running {@code run --config FILE} as a child process, with its
 * config and allow-list file in a work directory under target/e2e-work.
 */
public final class EdgeProxyProcess implements AutoCloseable, Diagnosable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ProxyConfig config;
  private final Path dir;
  private final Path configFile;
  private final Path allowListFile;
  private final Path stateFile;
  private final ChildProcess process;
  private final AtomicBoolean stopped = new AtomicBoolean();

  private EdgeProxyProcess(ProxyConfig config, Path dir, ChildProcess process) {
    this.config = config;
    this.dir = dir;
    this.configFile = dir.resolve("edge-proxy.yaml");
    this.allowListFile = dir.resolve("allowlist.yaml");
    this.stateFile = dir.resolve(config.stateFileName());
    this.process = process;
  }

  /** Writes the config files, starts the jar and waits until it is ready (at most 60 s). */
  public static EdgeProxyProcess start(ProxyConfig config) {
    return startIn(writeFiles(config), config, "edge-proxy");
  }

  /**
   * Starts the jar again in this process's work directory, with the same config, allow-list and state files (a
   * restart of the node); this one must have been stopped. Its output goes to {@code <name>.stdout/.stderr}.
   */
  public EdgeProxyProcess startAgain(String name) {
    assertThat(process.alive()).as("the previous edge-proxy process is still running").isFalse();
    return startIn(dir, config, name);
  }

  /**
   * Starts the jar through the shipped launcher script ({@code edge-proxy/src/main/dist/edge-proxy}) with its own JVM
   * flags, {@code launcherEnv} tuning them (e.g. EDGE_PROXY_HEAP, EDGE_PROXY_DIRECT), and waits until it is ready.
   */
  public static EdgeProxyProcess startWithLauncher(ProxyConfig config, Map<String, String> launcherEnv) {
    return startWithLauncher(config, launcherEnv, List.of());
  }

  /** {@link #startWithLauncher(ProxyConfig, Map)} run by {@code wrapper} (e.g. {@code nohup}). */
  public static EdgeProxyProcess startWithLauncher(
      ProxyConfig config, Map<String, String> launcherEnv, List<String> wrapper) {
    Path dir = writeFiles(config);
    Path launcher = jar().getParent().getParent().resolve("src/main/dist/edge-proxy");
    assertThat(launcher).as("the launcher script").isRegularFile();
    Map<String, String> env = new java.util.LinkedHashMap<>(config.env());
    env.putAll(launcherEnv);
    env.put("EDGE_PROXY_JAR", jar().toString());
    env.put("EDGE_PROXY_CDS_DIR", "");
    env.put("JAVA", ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    List<String> command = new ArrayList<>(wrapper);
    command.addAll(List.of("sh", launcher.toString(), "run", "--allow-root", "--config", dir.resolve("edge-proxy.yaml").toString()));
    return startProcess(dir, config, ChildProcess.start("edge-proxy", command, dir, env));
  }

  /**
   * Writes the files into a fresh work directory, lets {@code prepare} act on it (e.g. put a corrupt state file
   * there), then starts the jar as {@link #start} does, run by {@code wrapper} (e.g. {@code unshare -m sh -c ...},
   * which must end by exec-ing its arguments so that the jar keeps the process id).
   */
  public static EdgeProxyProcess startWrapped(ProxyConfig config, List<String> wrapper,
      java.util.function.Consumer<Path> prepare) {
    Path dir = writeFiles(config);
    prepare.accept(dir);
    List<String> command = new ArrayList<>(wrapper);
    command.addAll(javaJar(List.of("-Dio.netty.leakDetection.level=" + config.leakDetectionLevel()),
        "run", "--allow-root", "--config", dir.resolve("edge-proxy.yaml").toString()));
    return startProcess(dir, config, ChildProcess.start("edge-proxy", command, dir, config.env()));
  }

  private static EdgeProxyProcess startIn(Path dir, ProxyConfig config, String name) {
    ChildProcess process = ChildProcess.start(name,
        javaJar(List.of("-Dio.netty.leakDetection.level=" + config.leakDetectionLevel()),
            "run", "--allow-root", "--config", dir.resolve("edge-proxy.yaml").toString()),
        dir, config.env());
    return startProcess(dir, config, process);
  }

  private static EdgeProxyProcess startProcess(Path dir, ProxyConfig config, ChildProcess process) {
    EdgeProxyProcess proxy = new EdgeProxyProcess(config, dir, process);
    try {
      proxy.awaitReady();
    } catch (RuntimeException | AssertionError e) {
      proxy.process.close();
      throw new AssertionError("edge-proxy did not become ready: " + e.getMessage() + "\n" + proxy.diagnostics(), e);
    }
    return proxy;
  }

  /** A work directory holding edge-proxy.yaml and allowlist.yaml for {@code config}, without starting anything. */
  public static Path writeFiles(ProxyConfig config) {
    Path dir = WorkDirs.create("edge-proxy");
    try {
      Path allowList = dir.resolve("allowlist.yaml");
      Files.writeString(allowList, config.allowListYaml());
      Path stateFile = dir.resolve(config.stateFileName());
      Files.createDirectories(stateFile.getParent());
      Files.writeString(dir.resolve("edge-proxy.yaml"),
          config.edgeProxyYaml(allowList.toString(), stateFile.toString()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /** {@code java [jvmOptions] -jar edge-proxy.jar args...} with the JVM that runs the tests. */
  public static List<String> javaJar(List<String> jvmOptions, String... args) {
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = new ArrayList<>();
    command.add(java);
    command.add("-Xmx512m");
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar().toString());
    command.addAll(List.of(args));
    return command;
  }

  /** Runs a short CLI command of the jar (validate, check, ...) to completion. */
  public static Exec.Result cli(Duration timeout, String... args) {
    return Exec.run(javaJar(List.of(), args), timeout);
  }

  public static Path jar() {
    String property = System.getProperty("edgeproxy.jar");
    assertThat(property).as("system property edgeproxy.jar (set by the tests pom)").isNotBlank();
    Path jar = Path.of(property).toAbsolutePath().normalize();
    assertThat(jar).as("the shaded jar; build it with `mvn -B -q install -DskipTests` first").isRegularFile();
    return jar;
  }

  private void awaitReady() {
    await("edge-proxy ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      if (!process.alive()) {
        throw new IllegalStateException("edge-proxy exited with " + process.exitValueIfDone() + " before it was ready");
      }
      int status;
      try {
        status = AdminHttp.request(config.adminPort(), "GET", "/readyz", Map.of(), null, 2_000).status();
      } catch (IOException e) {
        return false;
      }
      if (status == 404) {
        // an admin endpoint without /readyz: a bound TLS listener is the next best sign
        return Ports.listening("127.0.0.1", config.tlsPort());
      }
      return status == 200;
    });
  }

  public int tlsPort() {
    return config.tlsPort();
  }

  public int tlsPortV6() {
    return config.tlsPortV6();
  }

  public int adminPort() {
    return config.adminPort();
  }

  public Path configFile() {
    return configFile;
  }

  public Path allowListFile() {
    return allowListFile;
  }

  public Path stateFile() {
    return stateFile;
  }

  public Path directory() {
    return dir;
  }

  /** Replaces the allow-list file the way an editor or Ansible does: write a temp file beside it, then rename. */
  public void rewriteAllowList(List<String> allow, List<String> deny) {
    try {
      Path tmp = dir.resolve(".allowlist.yaml.tmp");
      Files.writeString(tmp, ProxyConfig.allowListYaml(allow, deny));
      Files.move(tmp, allowListFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rewrites edge-proxy.yaml from the (changed) config, temp file then rename; a reload needs {@link #signal}. */
  public void rewriteConfig() {
    writeConfigText(config.edgeProxyYaml(allowListFile.toString(), stateFile.toString()));
  }

  /** Replaces edge-proxy.yaml with {@code yaml} as is (temp file then rename). */
  public void writeConfigText(String yaml) {
    try {
      Path tmp = dir.resolve(".edge-proxy.yaml.tmp");
      Files.writeString(tmp, yaml);
      Files.move(tmp, configFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends a signal by name (HUP, TERM, ...) with kill(1): ProcessHandle can only send TERM and KILL. */
  public void signal(String name) {
    Exec.Result kill = Exec.run(List.of("kill", "-" + name, Long.toString(process.pid())), Duration.ofSeconds(10));
    assertThat(kill.exitCode()).as(kill.describe()).isZero();
  }

  public long pid() {
    return process.pid();
  }

  /**
   * SIGTERM and wait at most {@code timeout} for the exit status, which is returned (not asserted); afterwards
   * {@link #stop()} and {@link #close()} do nothing.
   */
  public int terminate(Duration timeout) {
    stopped.set(true);
    return process.terminate(timeout);
  }

  /** The exit status once the process has ended by itself, else null. */
  public Integer exitValueIfDone() {
    return process.exitValueIfDone();
  }

  /** POST on the admin endpoint with the given headers and body; returns status and body. */
  public Map.Entry<Integer, String> adminPost(String path, Map<String, String> headers, String body)
      throws IOException, InterruptedException {
    AdminHttp.Answer answer = AdminHttp.request(config.adminPort(), "POST", path, headers, body, 10_000);
    return Map.entry(answer.status(), answer.body());
  }

  /** GET on the admin endpoint expecting 200 and a JSON document. */
  public JsonNode adminJson(String path) throws IOException, InterruptedException {
    Map.Entry<Integer, String> reply = admin(path);
    assertThat(reply.getKey()).as("GET %s: %s", path, reply.getValue()).isEqualTo(200);
    return JSON.readTree(reply.getValue());
  }

  /** GET on the admin endpoint (one connection per request); returns status and body. */
  public Map.Entry<Integer, String> admin(String path) throws IOException, InterruptedException {
    AdminHttp.Answer answer = AdminHttp.request(config.adminPort(), "GET", path, Map.of(), null, 5_000);
    return Map.entry(answer.status(), answer.body());
  }

  /** Every access-log line printed so far (JSON lines on stdout that carry a {@code decision}). */
  public List<AccessLogEntry> accessLog() {
    List<AccessLogEntry> entries = new ArrayList<>();
    for (String line : process.stdout().split("\n")) {
      String trimmed = line.trim();
      if (!trimmed.startsWith("{")) {
        continue;
      }
      try {
        JsonNode json = JSON.readTree(trimmed);
        if (json.isObject() && json.has("decision")) {
          entries.add(new AccessLogEntry(json, trimmed));
        }
      } catch (IOException e) {
        // a log line that merely starts with '{' is not an access-log entry
      }
    }
    return entries;
  }

  /** The proxy's own log lines (stdout and stderr without the access-log JSON lines). */
  public List<String> logLines() {
    List<String> lines = new ArrayList<>();
    for (String line : (process.stdout() + "\n" + process.stderr()).split("\n")) {
      if (!line.isBlank() && !line.trim().startsWith("{")) {
        lines.add(line);
      }
    }
    return lines;
  }

  /** Waits (at most 15 s) for the access-log line of a connection; lines are written when a connection ends. */
  public AccessLogEntry awaitAccessLog(String description, Predicate<AccessLogEntry> match) {
    return await("access log: " + description).atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50))
        .until(() -> accessLog().stream().filter(match).findFirst().orElse(null), e -> e != null);
  }

  /** The access-log line of the connection a client made from {@code clientPort}. */
  public AccessLogEntry awaitAccessLog(long clientPort) {
    return awaitAccessLog("clientPort=" + clientPort,
        e -> e.clientPort() != null && e.clientPort() == clientPort);
  }

  public boolean alive() {
    return process.alive();
  }

  /** SIGTERM, then asserts a clean drain: exit status 0 and no Netty leak report in the output. */
  public void stop() {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    int exit = process.terminate(Duration.ofSeconds(30));
    assertThat(exit).as("exit status after SIGTERM\n%s", diagnostics()).isZero();
    assertThat(process.stdout() + process.stderr()).as("Netty leak reports\n%s", diagnostics())
        .doesNotContain("LEAK:");
  }

  @Override
  public void close() {
    if (process.alive()) {
      stop();
    }
  }

  @Override
  public String diagnostics() {
    return process.diagnostics() + "\n--- edge-proxy.yaml ---\n" + ChildProcess.read(configFile)
        + "\n--- allowlist.yaml ---\n" + ChildProcess.read(allowListFile);
  }
}
