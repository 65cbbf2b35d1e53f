package dev.edgeproxy.allowlist;

import java.util.List;

/**
 * An allow-list file that is not valid: bad YAML, an unknown key, a wrong type, an invalid host
 * name or wildcard, a duplicate entry. Every problem found is kept (at most {@value
 * #MAX_PROBLEMS}: a hostile file must not make the report its own flood), and the message has one
 * line per problem, {@code <ref>:<line>:<column>: <problem>}, columns and lines counted from 1, so
 * that it reads like compiler errors and can be shown as is. {@link #line()}, {@link #column()} and
 * {@link #problem()} are those of the first problem.
 */
public final class AllowListFormatException extends Exception {
  private static final long serialVersionUID = 1L;

  /** The most problems kept; past it only their number is told. */
  public static final int MAX_PROBLEMS = 100;

  /** One problem, at a position in the file. */
  public record Problem(int line, int column, String problem) {
    @Override
    public String toString() {
      return line + ":" + column + ": " + problem;
    }
  }

  private final String ref;
  private final List<Problem> problems;

  public AllowListFormatException(String ref, int line, int column, String problem) {
    this(ref, List.of(new Problem(line, column, problem)), 0);
  }

  /**
   * @param problems at least one, at most {@link #MAX_PROBLEMS}
   * @param notShown problems found beyond those
   */
  public AllowListFormatException(String ref, List<Problem> problems, int notShown) {
    super(message(ref, problems, notShown));
    this.ref = ref;
    this.problems = List.copyOf(problems);
  }

  private static String message(String ref, List<Problem> problems, int notShown) {
    if (problems.isEmpty() || problems.size() > MAX_PROBLEMS) {
      throw new IllegalArgumentException("1.." + MAX_PROBLEMS + " problems, not " + problems.size());
    }
    StringBuilder out = new StringBuilder();
    for (Problem p : problems) {
      out.append(out.length() == 0 ? "" : "\n").append(ref).append(':').append(p);
    }
    if (notShown > 0) {
      out.append('\n').append(ref).append(": ").append(notShown).append(" more problems not shown");
    }
    return out.toString();
  }

  /** What was being parsed: the {@code refPrefix} given to the parser (file name, path@commit). */
  public String ref() {
    return ref;
  }

  /** Every problem kept, in the order found (document order). */
  public List<Problem> problems() {
    return problems;
  }

  public int line() {
    return problems.get(0).line();
  }

  public int column() {
    return problems.get(0).column();
  }

  /** The first problem alone, without position. */
  public String problem() {
    return problems.get(0).problem();
  }
}
