package dev.edgeproxy.allowlist;

/**
 * A source could not produce a complete, valid list (unreachable, throttled, bad YAML, bad
 * credentials). The message is shown to operators in logs and {@code /status}: it must say what
 * failed and where (commit, file, line, column), and must never contain a secret.
 */
public final class SourceException extends Exception {
  private static final long serialVersionUID = 1L;

  public SourceException(String message) {
    super(message);
  }

  public SourceException(String message, Throwable cause) {
    super(message, cause);
  }
}
