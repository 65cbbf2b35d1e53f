package dev.edgeproxy.server.admin;

import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Liveness of the event loops: a no-op task is queued on every loop and each must run it within a
 * timeout. Nothing waits: the answer is a future completed by the last loop to answer or by the
 * timeout, so the probe may start on an event loop (the admin connection's own loop included; its
 * no-op simply runs after the current task).
 */
final class HealthProbe {
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  private HealthProbe() {}

  /** Completes with one message per loop that did not answer in time; empty = all alive. */
  static CompletableFuture<List<String>> probe(
      List<AdminContext.LabelledLoops> groups, Duration timeout) {
    List<CompletableFuture<String>> answers = new ArrayList<>();
    for (AdminContext.LabelledLoops g : groups) {
      int i = 0;
      for (EventExecutor loop : g.group()) {
        String name = g.label() + " loop " + i++;
        answers.add(ping(loop, name, timeout));
      }
    }
    return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              List<String> problems = new ArrayList<>();
              answers.forEach(a -> {
                String problem = a.join();
                if (problem != null) {
                  problems.add(problem);
                }
              });
              return problems;
            });
  }

  /** Null when the loop ran the no-op in time, else why not. */
  private static CompletableFuture<String> ping(EventExecutor loop, String name, Duration timeout) {
    CompletableFuture<String> answer = new CompletableFuture<>();
    if (loop.isShuttingDown()) {
      answer.complete(name + " is shutting down");
      return answer;
    }
    try {
      loop.execute(() -> answer.complete(null));
    } catch (RejectedExecutionException e) {
      answer.complete(name + " refused a task: " + e.getMessage());
      return answer;
    }
    return answer.completeOnTimeout(
        name + " did not answer within " + timeout.toMillis() + " ms",
        timeout.toMillis(),
        TimeUnit.MILLISECONDS);
  }
}
