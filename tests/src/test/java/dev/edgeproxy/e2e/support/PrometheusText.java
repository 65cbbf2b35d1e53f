package dev.edgeproxy.e2e.support;

/** Sums Prometheus text-format samples, for the memory and descriptor figures of the soak and fault tests. */
public final class PrometheusText {
  private PrometheusText() {}

  /**
   * The sum of every sample of {@code name} (no suffix) whose labels contain {@code labelPart}
   * ("" for all).
   */
  public static double sum(String exposition, String name, String labelPart) {
    double total = 0;
    for (String line : exposition.split("\n")) {
      if (line.startsWith("#") || !line.startsWith(name)) {
        continue;
      }
      String rest = line.substring(name.length());
      if (!(rest.startsWith("{") || rest.startsWith(" "))) {
        continue; // another metric whose name starts with this one
      }
      int close = rest.startsWith("{") ? rest.indexOf('}') : -1;
      String labels = close < 0 ? "" : rest.substring(0, close + 1);
      if (!labels.contains(labelPart)) {
        continue;
      }
      String value = rest.substring(close + 1).trim().split(" ")[0];
      total += Double.parseDouble(value);
    }
    return total;
  }
}
