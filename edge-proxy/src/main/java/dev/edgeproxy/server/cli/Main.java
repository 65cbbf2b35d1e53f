package dev.edgeproxy.server.cli;

import dev.edgeproxy.server.observe.BuildInfo;
import dev.edgeproxy.server.transport.Transport;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine;

/** The {@code edge-proxy} command line: run, quickstart, validate, check, sync. */
@Command(
    name = "edge-proxy",
    // inherited by every subcommand: -h/--help, -V/--version and what --version prints
    scope = ScopeType.INHERIT,
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "SNI-passthrough entrance-node proxy. It forwards allowed TLS and HTTP streams to a cluster",
      "over the mesh with a PROXY protocol header; the allow-list comes from a file, Git and Route53.",
      "Every command answers --help."
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
  static final String UNKNOWN_COMMIT = "unknown";
  private static final String BUILD_PROPERTIES = "edge-proxy-build.properties";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /**
   * The exit status of a crash (an unexpected exception or error, such as OutOfMemoryError), in
   * every command: distinct from the statuses commands give meaning to (1 bad configuration or
   * failed source, 2 usage or no snapshot, 3 refused by {@code check}). 70 is EX_SOFTWARE.
   */
  static final int INTERNAL_ERROR = 70;

  public static void main(String[] args) {
    failFastDirectMemory();
    int status;
    try {
      status = execute(args);
    } catch (Throwable e) {
      status = crashed(e);
    }
    System.exit(status);
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
    return commandLine(new Main()).execute(args);
  }

  /** The command line of {@code command}, with the exit status of a crash set. */
  static CommandLine commandLine(Object command) {
    return new CommandLine(command)
        .setCaseInsensitiveEnumValuesAllowed(true)
        .setExecutionExceptionHandler((e, commandLine, parsed) -> crashed(e));
  }

  private static int crashed(Throwable e) {
    System.err.println("edge-proxy: internal error (exit " + INTERNAL_ERROR + "): " + e);
    e.printStackTrace(System.err);
    return INTERNAL_ERROR;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static String version() {
    return BuildInfo.productVersion();
  }

  /**
   * The commit the jar was built from, with {@code -dirty} when the tree had uncommitted changes,
   * or {@code unknown} when it was built without a .git folder (the resource is then unfiltered).
   */
  static String commit() {
    Properties build = new Properties();
    try (InputStream in = Main.class.getClassLoader().getResourceAsStream(BUILD_PROPERTIES)) {
      if (in != null) {
        build.load(in);
      }
    } catch (IOException e) {
      return UNKNOWN_COMMIT;
    }
    return commit(build);
  }

  /** The commit named by build properties, {@code unknown} when they were never filtered. */
  static String commit(Properties build) {
    String commit = build.getProperty("commit", "");
    if (!commit.matches("[0-9a-f]{7,64}")) {
      return UNKNOWN_COMMIT;
    }
    return commit + ("true".equals(build.getProperty("dirty")) ? "-dirty" : "");
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "edge-proxy " + version() + " (commit " + commit() + ")",
        "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")",
        "transport " + Transport.detect().name().toLowerCase(java.util.Locale.ROOT)
      };
    }
  }
}
