package dev.edgeproxy.server;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code edge-proxy} command line: run, quickstart, validate, check, sync. */
@Command(
    name = "edge-proxy",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "SNI-passthrough entrance-node proxy: forwards allowed TLS and HTTP streams to a cluster",
      "over the mesh with a PROXY protocol header; the allow-list comes from a file, Git and Route53."
    },
    subcommands = {
      RunCommand.class,
      QuickstartCommand.class,
      ValidateCommand.class,
      CheckCommand.class,
      SyncCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  static final String DEFAULT_CONFIG = "/etc/edge-proxy/edge-proxy.yaml";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    failFastDirectMemory();
    System.exit(execute(args));
  }

  /**
   * Before any Netty class loads: lets Netty allocate direct buffers without a JDK cleaner, counted
   * against its own cap ({@code io.netty.maxDirectMemory}, by default {@code
   * -XX:MaxDirectMemorySize}). An allocation over the cap then fails at once with Netty's
   * OutOfDirectMemoryError, which closes that one connection; the JDK's own accounting instead
   * forces a full GC and sleeps on the event loop for each failed allocation, freezing the node.
   * Needs {@code java.base/java.nio} opened, which the jar's manifest does ({@code Add-Opens}).
   * A value given on the command line wins.
   */
  static void failFastDirectMemory() {
    if (System.getProperty("io.netty.tryReflectionSetAccessible") == null) {
      System.setProperty("io.netty.tryReflectionSetAccessible", "true");
    }
  }

  /** Runs a command and returns its exit status (tests call this without exiting the JVM). */
  public static int execute(String... args) {
    return new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "edge-proxy " + version(),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
        "transport " + Transport.detect().name().toLowerCase(java.util.Locale.ROOT)
      };
    }
  }
}
