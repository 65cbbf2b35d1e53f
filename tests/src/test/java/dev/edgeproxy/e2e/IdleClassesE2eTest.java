package dev.edgeproxy.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.e2e.support.DumpOnFailure;
import dev.edgeproxy.e2e.support.EdgeProxyProcess;
import dev.edgeproxy.e2e.support.ProxyConfig;
import dev.edgeproxy.e2e.support.StubBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An idle node loads only what it uses: every class loaded is metadata (and archive pages) resident for
 * the life of the process. With the watched file as its only source, the jar loads no logback XML
 * configurator (nor the JDK's XML parser), no Quartz scheduler, no AWS SDK and no JGit; its log lines
 * keep their format.
 */
class IdleClassesE2eTest {
  @RegisterExtension static final DumpOnFailure dump = new DumpOnFailure();

  private static final Pattern LOADED = Pattern.compile("\\]\\s+(\\S+) source:");
  // logback's XML configurator: its actions, events and model (not core.joran.spi, which holds the console
  // appender's targets and the exception logback's start-up declares)
  private static final List<String> NOT_AT_IDLE = List.of(
      "ch.qos.logback.classic.joran.", "ch.qos.logback.core.joran.action.", "ch.qos.logback.core.joran.event.",
      "ch.qos.logback.core.model.", "com.sun.org.apache.xerces.", "org.quartz.impl.StdSchedulerFactory", "org.quartz.core.",
      "software.amazon.awssdk.", "org.eclipse.jgit.");

  @Test
  void aNodeWithTheFileSourceOnlyLoadsNoneOfTheLibrariesItDoesNotUse() throws Exception {
    try (StubBackend backend = dump.watch(StubBackend.pouring(1024, 0));
        // the wrapper runs the jar's java command with one more flag; exec keeps the process id
        EdgeProxyProcess proxy = dump.watch(EdgeProxyProcess.startWrapped(
            new ProxyConfig()
                .pool(new ProxyConfig.Pool("web", List.of("127.0.0.1:" + backend.port()), "none", null))
                .allow("idle.example.test"),
            List.of("sh", "-c", "exec \"$0\" -Xlog:class+load=info:file=classes.log \"$@\""), dir -> { }))) {
      List<String> loaded = loadedClasses(proxy.directory().resolve("classes.log"));
      assertThat(loaded).as("the log is read: a class every run loads").contains("dev.edgeproxy.server.EdgeProxyServer");
      for (String prefix : NOT_AT_IDLE) {
        assertThat(loaded.stream().filter(name -> name.startsWith(prefix))).as("loaded at idle: " + prefix).isEmpty();
      }
      assertThat(proxy.logLines())
          .anyMatch(line -> line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\S* INFO  \\[main\\] EdgeProxyServer - edge-proxy .* starting: .*"));
    }
  }

  private static List<String> loadedClasses(Path log) throws Exception {
    return Files.readAllLines(log).stream()
        .map(LOADED::matcher)
        .filter(Matcher::find)
        .map(m -> m.group(1))
        .toList();
  }
}
