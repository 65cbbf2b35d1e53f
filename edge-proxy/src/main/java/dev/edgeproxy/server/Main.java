package dev.edgeproxy.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code edge-proxy} command line: run, quickstart, validate, check, sync. */
@Command(
    name = "edge-proxy",
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
  static final String DEFAULT_CONFIG = "/etc/edge-proxy/edge-proxy.yaml";
  static final String UNKNOWN_COMMIT = "unknown";
  private static final String BUILD_PROPERTIES = "edge-proxy-build.properties";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(execute(args));
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
