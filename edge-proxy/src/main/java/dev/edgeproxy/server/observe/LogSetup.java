package dev.edgeproxy.server.observe;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * Logback's set-up, in code instead of a {@code logback.xml}: logback's XML configurator (Joran,
 * the JDK's XML parser and logback's configuration model, ~450 classes) stays unloaded, which is
 * megabytes of an idle node's memory. Found by logback as a {@link Configurator} service.
 *
 * <p>Application logs go to standard error, so that standard output carries only the access log;
 * {@code LOG_FORMAT=json} (system property or environment) switches to one JSON object per line,
 * {@code LOG_LEVEL} (default INFO) sets the level of edge-proxy's own loggers. A logback XML file
 * named by {@code -Dlogback.configurationFile} (or a {@code logback-test.xml} on the class path)
 * takes over as in plain logback.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
  static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0} - %msg%n";
  /** Third-party loggers that are noisy at INFO. */
  private static final String[] QUIET_AT_WARN = {
    "org.quartz", "org.eclipse.jgit", "software.amazon.awssdk", "io.netty"
  };

  /** The log line format, from {@code LOG_FORMAT}. */
  enum Format {
    TEXT,
    JSON
  }

  private final UnaryOperator<String> settings;
  private final boolean testXmlPresent;

  /** Reads {@code LOG_FORMAT}, {@code LOG_LEVEL} and the override as system properties, then environment. */
  public LogSetup() {
    this(
        name -> System.getProperty(name, System.getenv(name)),
        LogSetup.class.getClassLoader().getResource("logback-test.xml") != null);
  }

  LogSetup(UnaryOperator<String> settings, boolean testXmlPresent) {
    this.settings = settings;
    this.testXmlPresent = testXmlPresent;
  }

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (testXmlPresent || settings.apply("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    NopStatusListener quiet = new NopStatusListener();
    context.getStatusManager().add(quiet);

    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(context);
    appender.setName(format().name().toLowerCase(Locale.ROOT));
    appender.setTarget("System.err");
    appender.setEncoder(encoder(context));
    appender.start();

    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(appender);
    context.getLogger("dev.edgeproxy").setLevel(Level.toLevel(settingOr("LOG_LEVEL", "INFO"), Level.DEBUG));
    for (String name : QUIET_AT_WARN) {
      context.getLogger(name).setLevel(Level.WARN);
    }
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** {@code LOG_FORMAT}: {@code text} (default) or {@code json}; anything else logs as text. */
  Format format() {
    return "json".equalsIgnoreCase(settingOr("LOG_FORMAT", "text").trim()) ? Format.JSON : Format.TEXT;
  }

  private Encoder<ILoggingEvent> encoder(LoggerContext context) {
    if (format() == Format.JSON) {
      JsonEncoder json = new JsonEncoder();
      json.setContext(context);
      json.setWithFormattedMessage(true);
      json.setWithMessage(false);
      json.setWithArguments(false);
      json.setWithContext(false);
      json.setWithNanoseconds(false);
      json.setWithSequenceNumber(false);
      json.start();
      return json;
    }
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(context);
    text.setPattern(TEXT_PATTERN);
    text.start();
    return text;
  }

  private String settingOr(String name, String fallback) {
    String value = settings.apply(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
