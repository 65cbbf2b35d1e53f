package dev.edgeproxy.repo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A user's clone has nothing beside it: no file of the repository may point outside it, neither to
 * a sibling folder of the checkout nor to an absolute path on a developer's machine. A test, a README
 * link or an Ansible default that does so passes here and fails for every user.
 */
class SelfContainedRepositoryTest {

  static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent().normalize();

  /** Folders that hold build output or local state, never tracked. */
  static final Set<String> SKIPPED =
      Set.of(".git", "target", ".idea", ".vscode", ".cifuzz-corpus", "edge-proxy-quickstart");

  /**
   * A parent-folder escape into a sibling of the checkout, and absolute paths of the machines the
   * project was built on. Spelled in pieces so this file does not match itself.
   */
  static final Pattern OUTSIDE =
      Pattern.compile(
          "\\.\\./" + "shared" + "|(?<![\\w.])/" + "work/" + "|/" + "root/\\.m2" + "|/" + "home/\\w+/");

  @Test
  void noFileRefersToAnythingOutsideTheRepository() throws IOException {
    assertThat(ROOT.resolve("pom.xml")).exists();
    List<String> offenders = new ArrayList<>();
    try (Stream<Path> files = Files.walk(ROOT)) {
      files
          .filter(Files::isRegularFile)
          .filter(f -> !skipped(ROOT.relativize(f)))
          .forEach(f -> scan(f, offenders));
    }
    assertThat(offenders).as("references outside the repository").isEmpty();
  }

  @Test
  void theExampleConfigurationsLiveInTheRepository() {
    assertThat(ROOT.resolve("config/examples/edge-proxy.example.yaml")).isRegularFile();
    assertThat(ROOT.resolve("config/examples/allowlist.example.yaml")).isRegularFile();
  }

  @Test
  void thePatternCatchesWhatItGuardsAgainst() {
    assertThat(OUTSIDE.matcher("see (" + "../" + "shared/spec/x.yaml)").find()).isTrue();
    assertThat(OUTSIDE.matcher("Mirrors /" + "work/shared/spec/a.yaml").find()).isTrue();
    assertThat(OUTSIDE.matcher("config/examples/edge-proxy.example.yaml").find()).isFalse();
    assertThat(OUTSIDE.matcher("/var/lib/edge-proxy/allowlist.json").find()).isFalse();
  }

  static boolean skipped(Path relative) {
    for (Path part : relative) {
      if (SKIPPED.contains(part.toString())) {
        return true;
      }
    }
    return false;
  }

  static void scan(Path file, List<String> offenders) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (MalformedInputException binary) {
      return; // certificates in DER, corpora: not text, nothing to link
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + file, e);
    }
    for (int i = 0; i < lines.size(); i++) {
      if (OUTSIDE.matcher(lines.get(i)).find()) {
        offenders.add(ROOT.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).strip());
      }
    }
  }
}
