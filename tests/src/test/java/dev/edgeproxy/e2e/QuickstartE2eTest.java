package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.edgeproxy.e2e.support.ChildProcess;
import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.Ports;
import dev.edgeproxy.e2e.support.Tools;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code quickstart} runs a demo on fixed ports and prints a curl command line that works as printed. */
class QuickstartE2eTest {

  @RegisterExtension final DumpOnFailure dump = new DumpOnFailure();

  @Test
  void printedCurlCommandReachesTheDemoBackend() {
    Tools.require("curl");
    // quickstart's ports are fixed: on a shared machine someone else may be trying it right now
    Tools.requireThat(!Ports.listening("127.0.0.1", 8443) && !Ports.listening("127.0.0.1", 9901),
        "quickstart needs 127.0.0.1:8443 and 127.0.0.1:9901 free");
    ChildProcess quickstart = dump.watch(ChildProcess.start("quickstart",
        EdgeProxyProcess.javaJar(List.of(), "quickstart"), WorkDirs.create("quickstart")));
    try {
      List<String> curl = await("a printed curl command line").atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> {
            assertThat(quickstart.alive()).as("quickstart running").isTrue();
            return firstCurlCommand(quickstart.stdout() + "\n" + quickstart.stderr());
          }, Optional::isPresent)
          .orElseThrow();

      List<String> command = new ArrayList<>(curl);
      command.set(0, Tools.path("curl"));
      command.addAll(1, List.of("-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}"));
      // the line may be printed a moment before the listener is bound: retry, bounded
      Exec.Result result = await("curl as printed answers 200").atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(250))
          .until(() -> Exec.run(command, Duration.ofSeconds(20)), r -> r.exitCode() == 0 && r.stdout().equals("200"));
      assertThat(result.stdout()).isEqualTo("200");
    } finally {
      int exit = quickstart.terminate(Duration.ofSeconds(30));
      assertThat(exit).as("quickstart exit status after SIGTERM\n%s", quickstart.diagnostics()).isZero();
    }
  }

  @Test
  void writesItsConfigIntoDirAndThePrintedCommandsWorkAsPrinted() throws Exception {
    Tools.require("curl");
    int tls = Ports.free();
    int admin = Ports.free();
    int backend = Ports.free();
    java.nio.file.Path dir = WorkDirs.create("quickstart-dir").resolve("demo");
    ChildProcess quickstart = dump.watch(ChildProcess.start("quickstart",
        EdgeProxyProcess.javaJar(List.of(), "quickstart", "--dir", dir.toString(), "--tls-port", "" + tls,
            "--admin-port", "" + admin, "--backend-port", "" + backend),
        dir.getParent()));
    try {
      String printed = await("the printed instructions").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> {
            assertThat(quickstart.alive()).as("quickstart running").isTrue();
            return quickstart.stderr();
          }, text -> text.contains("sync?force=true"));
      assertThat(dir.resolve("edge-proxy.yaml")).isRegularFile();

      Exec.Result validate = Exec.run(printedCommand(printed, " validate --config ", "java"), Duration.ofSeconds(60));
      assertThat(validate.exitCode()).as(validate.describe()).isZero();
      assertThat(validate.stdout().strip()).isEqualTo("OK");

      await("ready").atMost(Duration.ofSeconds(30)).until(() -> curl(List.of("http://127.0.0.1:" + admin + "/readyz")).stdout().equals("200"));
      // every host removed: more than maxShrink, so the change is held back, as the log says
      java.nio.file.Files.writeString(dir.resolve("allowlist.yaml"), "allow: []\n");
      java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
      java.net.http.HttpRequest status = java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + admin + "/status")).build();
      await("change held back").atMost(Duration.ofSeconds(30))
          .until(() -> !new com.fasterxml.jackson.databind.ObjectMapper()
              .readTree(http.send(status, java.net.http.HttpResponse.BodyHandlers.ofString()).body())
              .at("/snapshot/heldBack").isNull());

      List<String> force = printedCommand(printed, "curl -X POST", "curl");
      Exec.Result forced = curl(force.subList(1, force.size()));
      assertThat(forced.stdout()).as(forced.describe()).isEqualTo("202");
      await("held-back change applied").atMost(Duration.ofSeconds(10))
          .until(() -> EdgeProxyProcess.cli(Duration.ofSeconds(60), "check", "--config",
              dir.resolve("edge-proxy.yaml").toString(), "demo.localhost").exitCode() == 3);
    } finally {
      int exit = quickstart.terminate(Duration.ofSeconds(30));
      assertThat(exit).as("quickstart exit status after SIGTERM\n%s", quickstart.diagnostics()).isZero();
    }
  }

  /** The words of the printed line containing {@code marker}, from {@code start} on. */
  private static List<String> printedCommand(String output, String marker, String start) {
    for (String line : output.split("\n")) {
      if (line.contains(marker)) {
        return shellWords(line.substring(line.indexOf(start)));
      }
    }
    throw new AssertionError("no line with " + marker + " in\n" + output);
  }

  private static Exec.Result curl(List<String> args) {
    List<String> command = new ArrayList<>(List.of(Tools.path("curl"), "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}"));
    command.addAll(args);
    return Exec.run(command, Duration.ofSeconds(20));
  }

  /** The first line holding a {@code curl ... --resolve ...} command, split like a shell would (no comment). */
  static Optional<List<String>> firstCurlCommand(String output) {
    for (String line : output.split("\n")) {
      int start = line.indexOf("curl ");
      if (start < 0 || !line.contains("--resolve")) {
        continue;
      }
      return Optional.of(shellWords(line.substring(start)));
    }
    return Optional.empty();
  }

  static List<String> shellWords(String text) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"' && i + 1 < text.length()) {
          word.append(text.charAt(++i));
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (c == '\\' && i + 1 < text.length()) {
        word.append(text.charAt(++i));
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else if (c == '#' && !inWord) {
        break;
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    return words;
  }
}
