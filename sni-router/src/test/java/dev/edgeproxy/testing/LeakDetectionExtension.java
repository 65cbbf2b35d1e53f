package dev.edgeproxy.testing;

import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test whose code let a Netty buffer (or any other leak-tracked resource) become garbage
 * without releasing it, as Netty's and Zuul's own test set-ups do; logging the leak is not enough
 * when nobody reads the log. Paranoid tracking, a forced GC after every test.
 *
 * <p>Registered for every test of a module by JUnit's extension autodetection: {@code
 * META-INF/services/org.junit.jupiter.api.extension.Extension} names it and the module's {@code
 * junit-platform.properties} sets {@code junit.jupiter.extensions.autodetection.enabled=true}.
 *
 * <p>A leak is noticed when the collector finds the buffer, which can be after the test that made
 * it (a test instance holding a channel lives until its callbacks are done): the report's access
 * records name the code that touched the buffer last, whichever test fails. Reports are never
 * dropped between tests, so such a leak fails the next test rather than none.
 */
public final class LeakDetectionExtension implements AfterEachCallback {
  static {
    LeakReports.install();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    List<String> leaks = LeakReports.collect();
    if (!leaks.isEmpty()) {
      throw new AssertionError(
          leaks.size() + " leaked resource(s) after " + context.getDisplayName() + ":\n"
              + String.join("\n\n", leaks));
    }
  }
}
