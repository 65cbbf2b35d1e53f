package dev.edgeproxy.config;

import java.util.Objects;

/**
 * One problem found in a config or allow-list file. {@link #toString()} is the line printed by
 * {@code validate}: {@code FILE:LINE:COLUMN: message}, lines and columns from 1.
 *
 * @param message names the key path, e.g. {@code listeners.tls.clientHelloTimeout: invalid
 *     duration '10x' (use 500ms, 10s, 5m, 1h)}
 */
public record ConfigProblem(String file, int line, int column, String message) {
  public ConfigProblem {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return file + ":" + line + ":" + column + ": " + message;
  }
}
