package dev.edgeproxy.e2e.fleet;

import dev.edgeproxy.e2e.support.Exec;
import dev.edgeproxy.e2e.support.WorkDirs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs the repository's playbooks (ansible/playbooks) against an inventory file, from ansible/. */
final class Ansible {
  private static final Pattern RECAP =
      Pattern.compile("(?m)^(\\S+)\\s*:\\s*ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)");

  /** One host's line of the PLAY RECAP. */
  record Recap(int ok, int changed, int unreachable, int failed) {}

  /** A finished playbook run. */
  record Run(Exec.Result result, Duration took) {
    int exitCode() {
      return result.exitCode();
    }

    String output() {
      return result.stdout() + result.stderr();
    }

    String describe() {
      return result.describe();
    }

    Map<String, Recap> recap() {
      Map<String, Recap> out = new LinkedHashMap<>();
      Matcher m = RECAP.matcher(result.stdout());
      while (m.find()) {
        out.put(m.group(1), new Recap(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)),
            Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5))));
      }
      return out;
    }
  }

  private final Path ansibleDir;
  private final Path work;

  Ansible(Path work) {
    this.ansibleDir = WorkDirs.target().getParent().getParent().resolve("ansible");
    this.work = work;
  }

  Path directory() {
    return ansibleDir;
  }

  /** Runs {@code playbooks/<playbook>} with the inventory and a vars file (JSON), plus more arguments. */
  Run playbook(String playbook, Path inventory, String varsJson, Duration timeout, String... more) {
    try {
      Path vars = work.resolve("vars-" + System.nanoTime() + ".json");
      Files.writeString(vars, varsJson);
      List<String> argv = new ArrayList<>(List.of("bash", "-c", "cd \"$1\" && shift && exec \"$@\"", "ansible",
          ansibleDir.toString(), "env",
          "ANSIBLE_CONFIG=" + ansibleDir.resolve("ansible.cfg"),
          "ANSIBLE_LOCAL_TEMP=" + work.resolve("ansible-local"),
          "ANSIBLE_NOCOLOR=1",
          "ANSIBLE_FORCE_COLOR=0",
          "ANSIBLE_RETRY_FILES_ENABLED=false",
          "ansible-playbook", "-i", inventory.toString(), "-e", "@" + vars, "playbooks/" + playbook));
      argv.addAll(List.of(more));
      long start = System.nanoTime();
      Exec.Result result = Exec.run(argv, timeout);
      Run run = new Run(result, Duration.ofNanos(System.nanoTime() - start));
      Files.writeString(work.resolve(playbook + "-" + System.nanoTime() + ".log"), run.describe());
      return run;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
