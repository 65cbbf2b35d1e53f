package dev.edgeproxy.e2e.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
  private static final HttpClient ADMIN = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

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
    this.stateFile = dir.resolve("allowlist-state.json");
    this.process = process;
  }

  /** Writes the config files, starts the jar and waits until it is ready (at most 60 s). */
  public static EdgeProxyProcess start(ProxyConfig config) {
    Path dir = writeFiles(config);
    ChildProcess process = ChildProcess.start("edge-proxy",
        javaJar(List.of("-Dio.netty.leakDetection.level=" + config.leakDetectionLevel()),
            "run", "--config", dir.resolve("edge-proxy.yaml").toString()),
        dir);
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
      Files.writeString(dir.resolve("edge-proxy.yaml"),
          config.edgeProxyYaml(allowList.toString(), dir.resolve("allowlist-state.json").toString()));
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
    URI readyz = URI.create("http://127.0.0.1:" + config.adminPort() + "/readyz");
    await("edge-proxy ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      if (!process.alive()) {
        throw new IllegalStateException("edge-proxy exited with " + process.exitValueIfDone() + " before it was ready");
      }
      int status;
      try {
        status = ADMIN.send(HttpRequest.newBuilder(readyz).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode();
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

  /** GET on the admin endpoint; returns status and body. */
  public Map.Entry<Integer, String> admin(String path) throws IOException, InterruptedException {
    HttpResponse<String> response = ADMIN.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + config.adminPort() + path))
            .timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    return Map.entry(response.statusCode(), response.body());
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
