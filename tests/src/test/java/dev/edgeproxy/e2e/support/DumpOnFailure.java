package dev.edgeproxy.e2e.support;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Prints the output of every registered process when a test fails, so the report shows what the proxy and the
 * backends said (surefire puts it in target/surefire-reports/*-output.txt).
 */
public final class DumpOnFailure implements TestWatcher {

  private final List<Diagnosable> watched = new CopyOnWriteArrayList<>();

  public <T extends Diagnosable> T watch(T process) {
    watched.add(process);
    return process;
  }

  public void forget(Diagnosable process) {
    watched.remove(process);
  }

  @Override
  public void testFailed(ExtensionContext context, Throwable cause) {
    StringBuilder report = new StringBuilder("##### ").append(context.getDisplayName()).append(" failed: ")
        .append(cause).append('\n');
    for (Diagnosable process : watched) {
      report.append(process.diagnostics()).append('\n');
    }
    System.err.println(report);
  }

  @Override
  public void testAborted(ExtensionContext context, Throwable cause) {
    // a skipped test (tool missing) has nothing to report
  }

  @Override
  public void testDisabled(ExtensionContext context, Optional<String> reason) {}
}
