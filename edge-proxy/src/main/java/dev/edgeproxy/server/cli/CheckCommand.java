package dev.edgeproxy.server.cli;

import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.allowlist.HostName;
import dev.edgeproxy.allowlist.InvalidHostNameException;
import dev.edgeproxy.allowlist.Provenance;
import dev.edgeproxy.allowlist.SnapshotStore;
import dev.edgeproxy.allowlist.SourceEntry;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.server.routing.ConfigRoutes;
import dev.edgeproxy.server.routing.EntryLookup;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(
    name = "check",
    header = "Explains the decision for one host from the saved snapshot.",
    description = {
      "Explains the decision for HOST from the last saved allow-list snapshot: allowed or not,",
      "by which source entry, refused by which deny entry, routed to which pool.",
      "Exit status: 0 allowed, 3 refused, 2 no saved snapshot, 1 bad configuration,",
      "70 internal error (never 3)."
    })
final class CheckCommand implements Callable<Integer> {
  static final int ALLOWED = 0;
  static final int REFUSED = 3;
  static final int NO_SNAPSHOT = 2;

  @Mixin ConfigFileOption config = new ConfigFileOption();

  @Parameters(index = "0", paramLabel = "HOST", description = "host name to explain")
  String host;

  @Override
  public Integer call() {
    return config.load(System.err).map(this::explain).orElse(ConfigFileOption.BAD_CONFIG);
  }

  private int explain(EdgeProxyConfig loaded) {
    if (loaded.allowlist().stateFile().isEmpty()) {
      System.out.println("no saved snapshot: allowlist.stateFile is not set in " + config.file);
      return NO_SNAPSHOT;
    }
    Path stateFile = loaded.allowlist().stateFile().get();
    SnapshotStore.LoadResult saved = SnapshotStore.load(stateFile);
    if (saved.snapshot().isEmpty()) {
      System.out.println(
          "no saved snapshot in "
              + stateFile
              + saved.problem().map(p -> " (" + p + ")").orElse(" (the proxy has not saved one yet)"));
      return NO_SNAPSHOT;
    }
    AllowListSnapshot snapshot =
        AllowListSnapshot.build(ConfigRoutes.of(loaded), saved.snapshot().get().sources());
    HostName name;
    try {
      name = HostName.parse(host);
    } catch (InvalidHostNameException e) {
      System.out.println(host + ": refused: " + e.getMessage());
      return REFUSED;
    }
    AllowListSnapshot.Decision d = snapshot.decide(name);
    String snapshotInfo =
        "snapshot " + snapshot.version() + saved.savedAt().map(t -> " saved " + t).orElse("");
    String pool = d.backend() != null ? d.backend() : loaded.defaultBackend().orElse(null);
    String route =
        pool == null
            ? "no pool (no route and no defaultBackend)"
            : pool + (d.routedBy() != null ? " (" + describeRoute(snapshot, name, d.routedBy()) + ")" : " (defaultBackend)");
    switch (d.outcome()) {
      case ALLOWED -> {
        System.out.println(name + ": allowed (" + snapshotInfo + ")");
        EntryLookup.allowing(snapshot, name).forEach(e -> System.out.println("  allowed by " + describe(e)));
        System.out.println("  routed to " + route);
        if (pool == null) {
          System.out.println("  but refused: no pool to forward to");
          return REFUSED;
        }
        return ALLOWED;
      }
      case DENIED -> {
        System.out.println(name + ": refused: denied (" + snapshotInfo + ")");
        EntryLookup.denying(snapshot, name).forEach(e -> System.out.println("  denied by " + describe(e)));
        EntryLookup.allowing(snapshot, name)
            .forEach(e -> System.out.println("  (also allowed by " + describe(e) + ", deny wins)"));
      }
      case NOT_ALLOWED ->
          System.out.println(name + ": refused: not in the allow-list (" + snapshotInfo + ")");
    }
    if (!loaded.allowlist().enforce()) {
      System.out.println("  shadow mode (enforce: false): it would be forwarded to " + route + " and logged as would_refuse");
    }
    return REFUSED;
  }

  /** The entry as written, then where it is: {@code *.apps.example.test (file allowlist.yaml line 3)}. */
  private static String describe(SourceEntry e) {
    return e.pattern() + " (" + describe(e.provenance()) + ")";
  }

  private static String describeRoute(AllowListSnapshot snapshot, HostName host, Provenance routedBy) {
    return EntryLookup.routePattern(snapshot, host, routedBy).map(p -> "route " + p + ", ").orElse("")
        + describe(routedBy);
  }

  private static String describe(Provenance p) {
    return p.source() + " " + p.ref();
  }
}
