package dev.edgeproxy.sni;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;

/** External tools: a test skips when one is missing, except under CI=true where it must fail. */
final class Tools {
  static boolean present(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (new File(dir, tool).canExecute()) {
        return true;
      }
    }
    return false;
  }

  static void require(String tool) {
    assumeTrue(present(tool) || "true".equals(System.getenv("CI")), tool + " not installed");
  }

  private Tools() {}
}
