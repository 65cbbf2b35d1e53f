package dev.edgeproxy.allowlist;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * The allow-list file parser (local file and Git source) against any text. Property: the lists, or
 * an {@link AllowListFormatException} at {@code FILE:LINE:COLUMN} inside the file; never another
 * exception. Every parsed entry is a valid pattern whose provenance names its line.
 */
class AllowListFileParserFuzzTest {
  static final String REF = "allowlist.yaml";

  @FuzzTest(maxDuration = "20s")
  void listsOrAProblemWithItsPlace(byte[] input) {
    String yaml = new String(input, StandardCharsets.UTF_8);
    try {
      SourceList list = AllowListFileParser.parse(yaml, "file", REF);
      assertThat(list.revision()).isNotBlank();
      assertThat(list.allow()).allSatisfy(entry -> {
        assertThat(HostPattern.parse(entry.pattern().toString())).isEqualTo(entry.pattern());
        assertThat(entry.provenance().ref()).startsWith(REF + " line ");
      });
      assertThat(list.deny()).allSatisfy(entry -> assertThat(entry.provenance().ref()).startsWith(REF + " line "));
    } catch (AllowListFormatException e) {
      long lines = yaml.lines().count();
      assertThat(e.ref()).isEqualTo(REF);
      assertThat(e.line()).isPositive().isLessThanOrEqualTo((int) Math.max(1, lines + 1));
      assertThat(e.column()).isPositive();
      assertThat(e.problem()).isNotBlank();
      assertThat(e.getMessage()).startsWith(REF + ":" + e.line() + ":" + e.column() + ": ");
    }
  }
}
