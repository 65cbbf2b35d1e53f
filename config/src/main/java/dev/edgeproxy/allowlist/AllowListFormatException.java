package dev.edgeproxy.allowlist;

/**
 * An allow-list file that is not valid: bad YAML, an unknown key, a wrong type, an invalid host
 * name or wildcard, a duplicate entry. The message is {@code <ref>:<line>:<column>: <problem>},
 * columns and lines counted from 1, so that it reads like a compiler error and can be shown as is.
 */
public final class AllowListFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String ref;
  private final int line;
  private final int column;
  private final String problem;

  public AllowListFormatException(String ref, int line, int column, String problem) {
    super(ref + ":" + line + ":" + column + ": " + problem);
    this.ref = ref;
    this.line = line;
    this.column = column;
    this.problem = problem;
  }

  /** What was being parsed: the {@code refPrefix} given to the parser (file name, path@commit). */
  public String ref() {
    return ref;
  }

  public int line() {
    return line;
  }

  public int column() {
    return column;
  }

  /** The problem alone, without position. */
  public String problem() {
    return problem;
  }
}
