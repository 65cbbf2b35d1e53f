package dev.edgeproxy.e2e.fleet;

import dev.edgeproxy.e2e.support.Exec;
import java.time.Duration;
import java.util.List;

/**
 * A network namespace made for one node, joined to this host by a veth pair: the host side is
 * {@link #hostAddress()} (where the test's backends listen for that node), the node side {@link
 * #nodeAddress()} (where the test's clients reach the node's 443, 80 and admin port). Addresses
 * come from 10.213.0.0/16, one /30 per node; nothing is routed beyond the pair.
 */
final class NodeNetwork implements AutoCloseable {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);

  private final String namespace;
  private final String hostLink;
  private final int index;

  private NodeNetwork(String namespace, String hostLink, int index) {
    this.namespace = namespace;
    this.hostLink = hostLink;
    this.index = index;
  }

  /** Creates namespace {@code edge-e2e-<index>} (removing a leftover of an earlier run first). */
  static NodeNetwork create(int index) {
    if (index < 1 || index > 60) {
      throw new IllegalArgumentException("node index 1..60: " + index);
    }
    String namespace = "edge-e2e-" + index;
    String hostLink = "ee2e" + index + "h";
    String nodeLink = "ee2e" + index + "n";
    NodeNetwork network = new NodeNetwork(namespace, hostLink, index);
    network.close();
    run("ip", "netns", "add", namespace);
    run("ip", "link", "add", hostLink, "type", "veth", "peer", "name", nodeLink);
    run("ip", "link", "set", nodeLink, "netns", namespace);
    run("ip", "addr", "add", network.hostAddress() + "/30", "dev", hostLink);
    run("ip", "link", "set", hostLink, "up");
    run("ip", "-n", namespace, "addr", "add", network.nodeAddress() + "/30", "dev", nodeLink);
    run("ip", "-n", namespace, "link", "set", nodeLink, "up");
    run("ip", "-n", namespace, "link", "set", "lo", "up");
    return network;
  }

  String hostAddress() {
    return "10.213." + index + ".1";
  }

  String nodeAddress() {
    return "10.213." + index + ".2";
  }

  String namespacePath() {
    return "/run/netns/" + namespace;
  }

  /** Runs a command in this namespace only (the node's network, the host's files). */
  List<String> inNamespace(String... command) {
    List<String> argv = new java.util.ArrayList<>(List.of("ip", "netns", "exec", namespace));
    argv.addAll(List.of(command));
    return argv;
  }

  private static void run(String... command) {
    Exec.Result r = Exec.run(List.of(command), TIMEOUT);
    if (r.exitCode() != 0) {
      throw new IllegalStateException(r.describe());
    }
  }

  /** Removes the pair and the namespace; quiet when they do not exist. */
  @Override
  public void close() {
    Exec.run(List.of("ip", "link", "del", hostLink), TIMEOUT);
    Exec.run(List.of("ip", "netns", "del", namespace), TIMEOUT);
  }
}
