package dev.edgeproxy.server;

import dev.edgeproxy.allowlist.AllowListDiff;
import dev.edgeproxy.allowlist.AllowListRegistry;
import dev.edgeproxy.allowlist.AllowListSource;
import dev.edgeproxy.allowlist.FileAllowListSource;
import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import dev.edgeproxy.config.ConfigException;
import dev.edgeproxy.config.ConfigLoader;
import dev.edgeproxy.config.EdgeProxyConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "sync",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    header = "Asks every allow-list source once and shows what would change.",
    description = {
      "Asks every allow-list source once and prints what would change against the saved snapshot",
      "(hosts added and removed, with provenance), without applying or saving anything.",
      "Exit status: 0 when every source answered, 1 when one failed (its error is printed).",
      "A running node syncs with POST /sync on its admin endpoint."
    })
final class SyncCommand implements Callable<Integer> {
  @Option(
      names = {"-c", "--config"},
      defaultValue = Main.DEFAULT_CONFIG,
      description = "configuration file (default: ${DEFAULT-VALUE})")
  Path config;

  @Option(names = "--dry-run", required = true, description = "only show what would change (required)")
  boolean dryRun;

  @Override
  public Integer call() throws IOException {
    EdgeProxyConfig loaded;
    try {
      loaded = ConfigLoader.load(config);
    } catch (ConfigException e) {
      e.problems().forEach(p -> System.err.println(p));
      return 1;
    }
    AllowListRegistry saved =
        AllowListRegistry.restore(
            ConfigRoutes.of(loaded), loaded.allowlist().maxShrink(), loaded.allowlist().stateFile());
    System.out.println(
        saved.isReady()
            ? "saved snapshot " + saved.current().version() + ": " + saved.current().hostCount() + " hosts"
            : "no saved snapshot: comparing against an empty allow-list");
    Path gitCache = Files.createTempDirectory("edge-proxy-sync-");
    List<AllowListSource> sources = new ArrayList<>();
    loaded.allowlist().file().ifPresent(f -> sources.add(new FileAllowListSource(f.path())));
    sources.addAll(Sources.remote(loaded, Optional.of(gitCache)));
    List<SourceList> lists = new ArrayList<>();
    boolean failed = false;
    try {
      for (AllowListSource source : sources) {
        try {
          SourceList list = source.fetch();
          lists.add(list);
          System.out.println(
              source.name() + ": ok, " + list.allow().size() + " allowed, " + list.deny().size()
                  + " denied, revision " + list.revision());
        } catch (SourceException e) {
          failed = true;
          System.out.println(source.name() + ": ERROR " + e.getMessage() + " (its saved list would stay)");
        }
      }
    } finally {
      for (AllowListSource source : sources) {
        if (source instanceof AutoCloseable c) {
          try {
            c.close();
          } catch (Exception ignored) {
            // a dry run leaves nothing behind worth reporting
          }
        }
      }
      deleteTree(gitCache);
    }
    AllowListDiff diff = saved.preview(lists);
    if (diff.isEmpty()) {
      System.out.println("no change");
    }
    diff.added().forEach(e -> System.out.println("+ " + e.pattern() + "  " + e.provenance()));
    diff.removed().forEach(e -> System.out.println("- " + e.pattern() + "  " + e.provenance()));
    return failed ? 1 : 0;
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
