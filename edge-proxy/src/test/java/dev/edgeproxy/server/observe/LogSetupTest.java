package dev.edgeproxy.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The logging set-up in code: the format, levels and override the README documents. */
class LogSetupTest {
  private static LoggerContext configured(Map<String, String> settings) {
    LoggerContext context = new LoggerContext();
    context.setMDCAdapter(new LogbackMDCAdapter()); // logback's provider sets it on the real one
    assertThat(new LogSetup(settings::get, false).configure(context))
        .isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
    return context;
  }

  private static String encode(LoggerContext context, String logger, Level level, String message, Object... args) {
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    List<ConsoleAppender<ILoggingEvent>> consoles = new ArrayList<>();
    root.iteratorForAppenders().forEachRemaining(a -> consoles.add((ConsoleAppender<ILoggingEvent>) a));
    assertThat(consoles).hasSize(1);
    ConsoleAppender<ILoggingEvent> console = consoles.get(0);
    assertThat(console.getTarget()).isEqualTo("System.err");
    LoggingEvent event = new LoggingEvent(Logger.class.getName(), context.getLogger(logger), level, message, null, args);
    event.setThreadName("main");
    return new String(console.getEncoder().encode(event), StandardCharsets.UTF_8);
  }

  @Test
  void textLinesKeepTheirFormatOnStandardError() {
    LoggerContext context = configured(Map.of());
    String line = encode(context, "dev.edgeproxy.server.EdgeProxyServer", Level.INFO, "listening on {}", "x");
    assertThat(line)
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  \\[main\\] EdgeProxyServer - listening on x\\R");
  }

  @Test
  void jsonFormatWritesOneObjectPerLineWithTheFormattedMessage() throws Exception {
    LoggerContext context = configured(Map.of("LOG_FORMAT", "json"));
    String line = encode(context, "dev.edgeproxy.server.EdgeProxyServer", Level.WARN, "refused {}", "a\"b");
    assertThat(line).endsWith("\n").doesNotContain("\n\n");
    JsonNode json = new ObjectMapper().readTree(line);
    assertThat(json.get("level").asText()).isEqualTo("WARN");
    assertThat(json.get("loggerName").asText()).isEqualTo("dev.edgeproxy.server.EdgeProxyServer");
    assertThat(json.get("threadName").asText()).isEqualTo("main");
    assertThat(json.get("formattedMessage").asText()).isEqualTo("refused a\"b");
    assertThat(json.has("message")).as("raw message left out").isFalse();
    assertThat(json.has("arguments")).isFalse();
    assertThat(json.has("context")).isFalse();
    assertThat(json.has("sequenceNumber")).isFalse();
  }

  @Test
  void levelsOwnFromLogLevelOthersQuieter() {
    LoggerContext quiet = configured(Map.of());
    assertThat(quiet.getLogger("dev.edgeproxy.server.X").getEffectiveLevel()).isEqualTo(Level.INFO);
    LoggerContext context = configured(Map.of("LOG_LEVEL", "debug"));
    assertThat(context.getLogger("dev.edgeproxy.server.X").getEffectiveLevel()).isEqualTo(Level.DEBUG);
    assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.INFO);
    for (String noisy : List.of("org.quartz.core.X", "org.eclipse.jgit.X", "software.amazon.awssdk.X", "io.netty.X")) {
      assertThat(context.getLogger(noisy).getEffectiveLevel()).as(noisy).isEqualTo(Level.WARN);
    }
  }

  @Test
  void anUnknownFormatLogsAsText() {
    assertThat(new LogSetup(Map.of("LOG_FORMAT", "yaml")::get, false).format()).isEqualTo(LogSetup.Format.TEXT);
    assertThat(new LogSetup(Map.of("LOG_FORMAT", " JSON ")::get, false).format()).isEqualTo(LogSetup.Format.JSON);
  }

  @Test
  void aLogbackFileNamedOnTheCommandLineOrATestFileTakesOver() {
    LoggerContext context = new LoggerContext();
    ListAppender<ILoggingEvent> untouched = new ListAppender<>();
    context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(untouched);
    assertThat(new LogSetup(Map.of("logback.configurationFile", "/etc/edge-proxy/logback.xml")::get, false).configure(context))
        .isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
    assertThat(new LogSetup(Map.<String, String>of()::get, true).configure(context))
        .isEqualTo(Configurator.ExecutionStatus.INVOKE_NEXT_IF_ANY);
    List<Object> appenders = new ArrayList<>();
    context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().forEachRemaining(appenders::add);
    assertThat(appenders).containsExactly(untouched);
  }

  @Test
  void logbackFindsItAsAService() {
    assertThat(ServiceLoader.load(Configurator.class).stream().map(ServiceLoader.Provider::type))
        .contains(LogSetup.class);
  }
}
