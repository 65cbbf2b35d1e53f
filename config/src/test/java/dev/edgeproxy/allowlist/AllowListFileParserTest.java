package dev.edgeproxy.allowlist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AllowListFileParserTest {
  static final Path SPEC = Paths.get(System.getProperty("user.dir")).resolve("examples");

  private static List<String> patterns(List<SourceEntry> entries) {
    return entries.stream().map(e -> e.pattern().toString()).toList();
  }

  @Test
  void parsesTheExampleFileUnchanged() throws Exception {
    String text = Files.readString(SPEC.resolve("allowlist.example.yaml"));
    SourceList list = AllowListFileParser.parse(text, "git", "allowlist.yaml@3f2c1ab");

    assertThat(list.source()).isEqualTo("git");
    assertThat(patterns(list.allow()))
        .containsExactly("grafana.example.com", "*.apps.example.com", "xn--bcher-kva.example.com");
    assertThat(patterns(list.deny())).containsExactly("admin.example.com", "*.internal.example.com");
    assertThat(list.allow().get(0).provenance())
        .isEqualTo(new Provenance("git", "allowlist.yaml@3f2c1ab line 5"));
    assertThat(list.allow().get(0).provenance().toString())
        .isEqualTo("git allowlist.yaml@3f2c1ab line 5");
    assertThat(list.routes()).hasSize(1);
    SourceRoute route = list.routes().get(0);
    assertThat(route.hosts()).containsExactly(HostPattern.parse("photos.example.com"));
    assertThat(route.backend()).isEqualTo("traefik");
    assertThat(route.provenance().ref()).isEqualTo("allowlist.yaml@3f2c1ab line 14");
    assertThat(list.revision()).hasSize(12).matches("[0-9a-f]{12}");
    assertThat(list.revision())
        .isEqualTo(
            AllowListFileParser.sha256Hex(text.getBytes(StandardCharsets.UTF_8)).substring(0, 12));
  }

  @Test
  void emptyFileAndEmptyKeysGiveEmptyLists() throws Exception {
    for (String text : List.of("", "# only a comment\n", "allow:\ndeny:\nroutes:\n", "allow: []\n")) {
      SourceList list = AllowListFileParser.parse(text, "file", "f");
      assertThat(list.allow()).isEmpty();
      assertThat(list.deny()).isEmpty();
      assertThat(list.routes()).isEmpty();
    }
  }

  @Test
  void normalisesCaseTrailingDotAndUnicode() throws Exception {
    SourceList list =
        AllowListFileParser.parse(
            "allow:\n  - Grafana.Example.COM.\n  - \"*.Apps.example.com\"\n  - bücher.example.com\n",
            "file",
            "a.yaml");
    assertThat(patterns(list.allow()))
        .containsExactly("grafana.example.com", "*.apps.example.com", "xn--bcher-kva.example.com");
    assertThat(list.allow().get(2).provenance().ref()).isEqualTo("a.yaml line 4");
  }

  @Test
  void sameTextSameRevisionOtherTextOtherRevision() throws Exception {
    String a = "allow: [a.example.com]\n";
    assertThat(AllowListFileParser.parse(a, "file", "x").revision())
        .isEqualTo(AllowListFileParser.parse(a, "file", "y").revision())
        .isNotEqualTo(AllowListFileParser.parse(a + "# changed\n", "file", "x").revision());
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          allow:\\n  - a.*.example.com\\n            | 2 | 5  | '*' is only allowed
          allow:\\n  - \\"*\\"\\n                    | 2 | 5  | '*' is only allowed
          allow:\\n  - \\"**.x\\"\\n                 | 2 | 5  | '*' is only allowed
          allow:\\n  - a..example.com\\n             | 2 | 5  | empty label
          allow:\\n  - -a.example.com\\n             | 2 | 5  | starts or ends with '-'
          allow:\\n  - a_b.example.com\\n            | 2 | 5  | character '_'
          allow:\\n  - ok.com\\n  - OK.com.\\n       | 3 | 5  | duplicate entry 'ok.com' (first at line 2)
          deny:\\n  - x.com\\n  - x.com\\n           | 3 | 5  | deny: duplicate entry
          alow:\\n  - a.com\\n                       | 1 | 1  | unknown key 'alow'
          allow: a.com\\n                            | 1 | 8  | expected a list
          allow:\\n  - [a.com]\\n                    | 2 | 5  | expected a host name
          - a.com\\n                                 | 1 | 1  | expected a map
          routes:\\n  - hosts: [a.com]\\n          | 2 | 5  | missing 'backend'
          routes:\\n  - backend: b\\n              | 2 | 5  | missing 'hosts'
          routes:\\n  - hosts: []\\n    backend: b\\n   | 2 | 12 | non-empty list
          routes:\\n  - hosts: [a.com]\\n    backend: b\\n    pool: c\\n | 4 | 5 | unknown key 'pool'
          routes:\\n  - hosts: [a.com]\\n    backend: b\\n  - hosts: [a.com]\\n    backend: c\\n | 4 | 13 | already routed
          allow:\\n  - a.com\\n  b: [\\n           | 2 | 3  | invalid YAML
          allow: [a.com]\\nallow: [b.com]\\n         | 2 | 1  | duplicate key 'allow'
          x: &internal internal.example.com\\ndeny: [*internal]\\n | 1 | 4 | YAML anchor '&internal' is not supported
          deny: [*internal]\\n                       | 1 | 8  | YAML alias '*internal' is not supported
          allow:\\n  - &a a.example.com\\n               | 2 | 5  | YAML anchor '&a' is not supported
          base: &b {allow: [a.com]}\\n<<: *b\\n      | 1 | 7  | YAML anchor '&b' is not supported
          """)
  void rejectsWithLineAndColumn(String escaped, int line, int column, String problem) {
    String text = escaped.replace("\\n", "\n").replace("\\\"", "\"");
    assertThatThrownBy(() -> AllowListFileParser.parse(text, "git", "allow.yaml@abc"))
        .isInstanceOfSatisfying(
            AllowListFormatException.class,
            e -> {
              assertThat(e.problem()).contains(problem);
              assertThat(e.getMessage())
                  .startsWith("allow.yaml@abc:" + e.line() + ":" + e.column() + ": ");
              assertThat(e.line()).as(e.getMessage()).isEqualTo(line);
              if (!problem.equals("invalid YAML")) {
                assertThat(e.column()).as(e.getMessage()).isEqualTo(column);
              }
            });
  }

  @Test
  void everyProblemIsReportedEachAtItsPlace() {
    String text =
        """
        alow:
          - a.example.com
        allow:
          - ok.example.com
          - bad..example.com
          - OK.example.com
        deny: x.example.com
        routes:
          - hosts: ["a.*.example.com"]
            backend: p
          - backend: p
            pool: q
        """;
    assertThatThrownBy(() -> AllowListFileParser.parse(text, "file", "allow.yaml"))
        .isInstanceOfSatisfying(
            AllowListFormatException.class,
            e -> {
              assertThat(e.problems())
                  .extracting(AllowListFormatException.Problem::toString)
                  .containsExactly(
                      "1:1: unknown key 'alow' (expected allow, deny, routes)",
                      "5:5: allow: invalid host name 'bad..example.com': empty label",
                      "6:5: allow: duplicate entry 'ok.example.com' (first at line 4)",
                      "7:7: deny: expected a list of host names, got 'x.example.com'",
                      "9:13: routes.hosts: invalid host name 'a.*.example.com': '*' is only allowed"
                          + " as the whole first label",
                      "11:5: routes: missing 'hosts'",
                      "12:5: routes: unknown key 'pool' (expected hosts, backend)");
              assertThat(e.getMessage().lines())
                  .hasSize(7)
                  .allSatisfy(line -> assertThat(line).matches("allow\\.yaml:\\d+:\\d+: .+"));
              assertThat(e.line()).isEqualTo(1);
              assertThat(e.problem()).startsWith("unknown key 'alow'");
            });
  }

  @Test
  void problemsAreBoundedSoAHostileFileCannotFloodTheReport() {
    StringBuilder text = new StringBuilder("allow:\n");
    int bad = AllowListFormatException.MAX_PROBLEMS + 50;
    for (int i = 0; i < bad; i++) {
      text.append("  - bad").append(i).append("..example.com\n");
    }
    assertThatThrownBy(() -> AllowListFileParser.parse(text.toString(), "file", "allow.yaml"))
        .isInstanceOfSatisfying(
            AllowListFormatException.class,
            e -> {
              assertThat(e.problems()).hasSize(AllowListFormatException.MAX_PROBLEMS);
              assertThat(e.getMessage().lines().toList())
                  .hasSize(AllowListFormatException.MAX_PROBLEMS + 1)
                  .last()
                  .isEqualTo("allow.yaml: 50 more problems not shown");
            });
  }

  @Test
  void fileSourceReadsEachFetch(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("allowlist.yaml");
    FileAllowListSource source = new FileAllowListSource(file);
    assertThat(source.name()).isEqualTo("file");

    assertThatThrownBy(source::fetch)
        .isInstanceOf(SourceException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining("does not exist");

    Files.writeString(file, "allow:\n  - a.example.com\n");
    SourceList first = source.fetch();
    assertThat(patterns(first.allow())).containsExactly("a.example.com");
    assertThat(first.allow().get(0).provenance())
        .isEqualTo(new Provenance("file", file + " line 2"));

    Files.writeString(file, "allow:\n  - a.example.com\n  - b.example.com\n");
    SourceList second = source.fetch();
    assertThat(patterns(second.allow())).containsExactly("a.example.com", "b.example.com");
    assertThat(second.revision()).isNotEqualTo(first.revision());

    Files.writeString(file, "allow:\n  - a.example.com\n  - b..example.com\n");
    assertThatThrownBy(source::fetch)
        .isInstanceOf(SourceException.class)
        .hasMessageStartingWith(file + ":3:5: ")
        .hasMessageContaining("empty label");

    Files.write(file, new byte[] {'a', 'l', (byte) 0xff});
    assertThatThrownBy(source::fetch)
        .isInstanceOf(SourceException.class)
        .hasMessageContaining("UTF-8");
  }
}
