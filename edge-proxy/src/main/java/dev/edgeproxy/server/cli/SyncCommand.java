package dev.edgeproxy.server.cli;

import dev.edgeproxy.allowlist.AllowListDiff;
import dev.edgeproxy.allowlist.AllowListRegistry;
import dev.edgeproxy.allowlist.AllowListSource;
import dev.edgeproxy.allowlist.FileAllowListSource;
import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import dev.edgeproxy.config.EdgeProxyConfig;
import dev.edgeproxy.server.routing.ConfigRoutes;
import dev.edgeproxy.server.sources.DaemonThreads;
import dev.edgeproxy.server.sources.SourceClosing;
import dev.edgeproxy.server.sources.Sources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "sync",
    header = "Asks every allow-list source once and shows what would change.",
    description = {
      "Asks every allow-list source once and prints what would change against the saved snapshot",
      "(hosts added and removed, with provenance), without applying or saving anything.",
      "Exit status: 0 when every source answered, 1 when one failed or gave no answer within",
      "allowlist.sourceTimeout (its error is printed), 70 on an internal error.",
      "A running node syncs with POST /sync on its admin endpoint."
    })
final class SyncCommand implements Callable<Integer> {
  @Mixin ConfigFileOption config = new ConfigFileOption();

  @Option(names = "--dry-run", required = true, description = "only show what would change (required)")
  boolean dryRun;

  @Override
  public Integer call() {
    return config.load(System.err).map(this::preview).orElse(ConfigFileOption.BAD_CONFIG);
  }

  private int preview(EdgeProxyConfig loaded) {
    AllowListRegistry saved =
        AllowListRegistry.restore(
            ConfigRoutes.of(loaded), loaded.allowlist().maxShrink(), loaded.allowlist().stateFile());
    System.out.println(
        saved.isReady()
            ? "saved snapshot " + saved.current().version() + ": " + saved.current().hostCount() + " hosts"
            : "no saved snapshot: comparing against an empty allow-list");
    Path gitCache;
    try {
      // read at call time (not cached by the JDK), so that tests can point it elsewhere
      gitCache =
          Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "edge-proxy-sync-");
    } catch (IOException e) {
      System.err.println("sync: cannot create a temporary folder: " + e.getMessage());
      return 1;
    }
    Duration deadline = loaded.allowlist().sourceTimeout();
    List<AllowListSource> sources = new ArrayList<>();
    List<SourceList> lists = new ArrayList<>();
    boolean failed = false;
    ExecutorService fetcher =
        Executors.newCachedThreadPool(DaemonThreads.named("sync-fetch"));
    try {
      loaded.allowlist().file().ifPresent(f -> sources.add(new FileAllowListSource(f.path())));
      sources.addAll(Sources.remote(loaded, Optional.of(gitCache)));
      for (AllowListSource source : sources) {
        Future<SourceList> answer = fetcher.submit(source::fetch);
        try {
          SourceList list = answer.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
          lists.add(list);
          System.out.println(
              source.name() + ": ok, " + list.allow().size() + " allowed, " + list.deny().size()
                  + " denied, revision " + list.revision());
        } catch (ExecutionException e) {
          failed = true;
          String why = e.getCause() instanceof SourceException se ? se.getMessage() : String.valueOf(e.getCause());
          System.out.println(source.name() + ": ERROR " + why + " (its saved list would stay)");
        } catch (TimeoutException e) {
          failed = true;
          answer.cancel(true);
          System.out.println(
              source.name() + ": ERROR no answer within " + deadline
                  + " (allowlist.sourceTimeout); its saved list would stay");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          answer.cancel(true);
          failed = true;
          break;
        }
      }
    } finally {
      fetcher.shutdownNow();
      for (AllowListSource source : sources) {
        SourceClosing.close(source, Duration.ofSeconds(1));
      }
      awaitQuietly(fetcher);
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

  /** Gives interrupted fetches a moment to stop writing into the temporary folder. */
  private static void awaitQuietly(ExecutorService fetcher) {
    try {
      fetcher.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Removes the temporary folder; a fetch left behind may still write into it, so try twice. */
  private static void deleteTree(Path root) {
    for (int attempt = 0; attempt < 2 && Files.exists(root); attempt++) {
      try (Stream<Path> walk = Files.walk(root)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException | java.io.UncheckedIOException e) {
        if (attempt == 1) {
          System.err.println("sync: could not remove the temporary folder " + root + ": " + e.getMessage());
        }
      }
    }
  }
}
