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
        EdgeProxyProcess.javaJar(List.of(), "quickstart", "--allow-root"), WorkDirs.create("quickstart")));
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
