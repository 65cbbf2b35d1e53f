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

/**
 * Runs the repository's playbooks (ansible/playbooks) against an inventory file, from ansible/, with the
 * repository's ansible.cfg. What the test adds, for speed only: the pipelined nsenter connection
 * (tests/nspawn/connection_plugins: one process per task instead of four), facts gathered once per node
 * and kept in the work directory for the later runs ({@code gathering = smart}), and the time of each
 * task in the log ({@code profile_tasks}).
 */
final class Ansible {
  /** The inventory's connection: {@code community.docker.nsenter} with pipelining. */
  static final String CONNECTION = "nsenter_pipelined";
  private static final Pattern RECAP =
      Pattern.compile("(?m)^(\\S+)\\s*:\\s*ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)");
  /** The header line of a task or handler in the default output. */
  private static final Pattern TASK = Pattern.compile("(?:TASK|RUNNING HANDLER) \\[([^\\]]+)\\] \\**");

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

    /** The tasks and handlers that reported a change on {@code host}, in order ("role : name"). */
    List<String> changedTasks(String host) {
      return results(host, "changed").stream().map(r -> r[1]).toList();
    }

    /**
     * The output line at which {@code host} first reported ok or changed for {@code task} ("role : name"), or -1:
     * lines are in the order things happened.
     */
    int lineOf(String task, String host) {
      return results(host, "ok", "changed").stream().filter(r -> r[1].equals(task))
          .mapToInt(r -> Integer.parseInt(r[0])).findFirst().orElse(-1);
    }

    /** {line number, task} of each result line of {@code host} with one of {@code statuses}. */
    private List<String[]> results(String host, String... statuses) {
      List<String[]> out = new ArrayList<>();
      String task = "";
      List<String> lines = result.stdout().lines().toList();
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i);
        Matcher header = TASK.matcher(line);
        if (header.matches()) {
          task = header.group(1);
          continue;
        }
        for (String status : statuses) {
          if (line.startsWith(status + ": [" + host + "]") || line.startsWith(status + ": [" + host + " -> ")) {
            out.add(new String[] {Integer.toString(i), task});
            break;
          }
        }
      }
      return out;
    }
  }

  private final Path ansibleDir;
  private final Path connectionPlugins;
  private final Path work;

  Ansible(Path work) {
    this.ansibleDir = WorkDirs.target().getParent().getParent().resolve("ansible");
    this.connectionPlugins = WorkDirs.target().getParent().resolve("nspawn/connection_plugins");
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
          "ANSIBLE_CONNECTION_PLUGINS=" + connectionPlugins,
          "ANSIBLE_PIPELINING=true",
          "ANSIBLE_GATHERING=smart",
          "ANSIBLE_CACHE_PLUGIN=jsonfile",
          "ANSIBLE_CACHE_PLUGIN_CONNECTION=" + work.resolve("ansible-facts"),
          "ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks",
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
