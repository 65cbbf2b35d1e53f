package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs the benchmark harness in its {@code --quick} mode as a smoke test: every contender starts,
 * every measurement produces a figure, the report is written. Timings are never asserted; the
 * machines that run this are shared and noisy.
 */
class BenchSmokeE2eTest {
  @Test
  void quickBenchmarkRunsAndWritesItsReport() throws Exception {
    Tools.require("nginx", "haproxy", "h2load", "curl", "openssl", "python3");
    Path repo = Path.of(System.getProperty("user.dir")).resolve("..").normalize();
    Path script = repo.resolve("tests/bench/run.sh");
    Path out = Files.createTempDirectory("bench-smoke").resolve("report.md");
    ProcessBuilder pb =
        new ProcessBuilder(
                List.of("bash", script.toString(), "--quick", "--rounds", "1", "--out", out.toString()))
            .redirectErrorStream(true);
    pb.environment().put("EDGE_PROXY_JAR", EdgeProxyProcess.jar().toString());
    Path log = out.resolveSibling("run.log");
    pb.redirectOutput(log.toFile());
    Process p = pb.start();
    boolean finished = p.waitFor(8, TimeUnit.MINUTES);
    if (!finished) {
      p.destroyForcibly();
    }
    String output = read(log);
    assertThat(finished).as("the quick benchmark finishes within 8 minutes:\n" + output).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    String report = read(out);
    assertThat(report)
        .as(output)
        .contains("edge-proxy", "haproxy", "nginx-stream", "direct")
        .contains("new TLS connections/s")
        .contains("Ratios");
  }

  private static String read(Path file) throws IOException {
    return Files.exists(file) ? Files.readString(file) : "(no " + file + ")";
  }
}
