package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigSchema.Default;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code accessLog}: one line per connection when it ends.
 *
 * @param format json (default) | text | none
 * @param path the file to append to; empty (default) = standard output
 */
public record AccessLogConfig(@Default("json") Format format, Optional<Path> path) {
  public static final AccessLogConfig DEFAULT = RecordBinder.defaults(AccessLogConfig.class);

  public AccessLogConfig {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(path, "path");
  }

  /** {@code accessLog.format}. */
  public enum Format {
    JSON,
    TEXT,
    NONE
  }
}
