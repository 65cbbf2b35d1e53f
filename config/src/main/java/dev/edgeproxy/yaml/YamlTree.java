package dev.edgeproxy.yaml;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.events.AliasEvent;
import org.yaml.snakeyaml.events.Event;
import org.yaml.snakeyaml.events.NodeEvent;

/**
 * A YAML document read into a small tree that remembers where every key and value stands (line and
 * column, both from 1). Jackson's own {@code JsonNode} forgets locations, and our error messages
 * must name {@code FILE:LINE:COLUMN}.
 *
 * <p>Internal to the config module (shared by the config loader and the allow-list file parser, in
 * a package of its own so that neither of theirs depends on the other); it is public only because
 * those live in two packages. Other modules should not use it.
 *
 * <p>Anchors ({@code &name}) and aliases ({@code *name}) are refused: the parser hands an alias
 * over as its bare name, so {@code deny: [*internal]} silently denied the host {@code internal},
 * and a configuration that repeats itself by reference is one a reviewer cannot read line by line.
 */
public final class YamlTree {
  /**
   * SnakeYAML refuses documents over 3 Mi code points by default, which made allow-list files
   * between 3 and 4 MiB fail although their byte bound (4 MiB) allows them. Callers bound bytes
   * before parsing; this only has to let such a file through.
   */
  private static final int MAX_CODE_POINTS = 4 * 1024 * 1024 + 1;

  private static final YAMLFactory FACTORY = factory();

  private static YAMLFactory factory() {
    org.yaml.snakeyaml.LoaderOptions options = new org.yaml.snakeyaml.LoaderOptions();
    options.setCodePointLimit(MAX_CODE_POINTS);
    return YAMLFactory.builder()
        .loaderOptions(options)
        .enable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
        .build();
  }

  private YamlTree() {}

  /** Kind of a node. */
  public enum Kind {
    MAP,
    LIST,
    SCALAR,
    NULL
  }

  /** A syntax error, or a structural one (duplicate key), at a position. */
  public static final class SyntaxException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int line;
    private final int column;
    private final String problem;

    SyntaxException(int line, int column, String problem) {
      super(line + ":" + column + ": " + problem);
      this.line = line;
      this.column = column;
      this.problem = problem;
    }

    public int line() {
      return line;
    }

    public int column() {
      return column;
    }

    public String problem() {
      return problem;
    }
  }

  /** A key of a map with its position and value. */
  public record Field(String key, int line, int column, Node value) {}

  /**
   * One node. For a scalar, {@link #text()} is the text as written (quoted or not) and {@link
   * #quoted()} says whether it was a YAML string rather than a number or boolean.
   */
  public static final class Node {
    private final Kind kind;
    private final int line;
    private final int column;
    private final String text;
    private final boolean string;
    private final Map<String, Field> fields;
    private final List<Node> items;

    private Node(
        Kind kind,
        int line,
        int column,
        String text,
        boolean string,
        Map<String, Field> fields,
        List<Node> items) {
      this.kind = kind;
      this.line = line;
      this.column = column;
      this.text = text;
      this.string = string;
      this.fields = fields;
      this.items = items;
    }

    static Node empty() {
      return new Node(Kind.NULL, 1, 1, null, false, Map.of(), List.of());
    }

    public Kind kind() {
      return kind;
    }

    public int line() {
      return line;
    }

    public int column() {
      return column;
    }

    /** Scalar text; null for maps, lists and null. */
    public String text() {
      return text;
    }

    /** True for a YAML string scalar, false for numbers and booleans. */
    public boolean isString() {
      return string;
    }

    /** Map fields in document order; empty for other kinds. */
    public Map<String, Field> fields() {
      return fields;
    }

    /** List items; empty for other kinds. */
    public List<Node> items() {
      return items;
    }

    public boolean isMap() {
      return kind == Kind.MAP;
    }

    public boolean isList() {
      return kind == Kind.LIST;
    }

    public boolean isScalar() {
      return kind == Kind.SCALAR;
    }

    public boolean isNull() {
      return kind == Kind.NULL;
    }

    /** "a map", "a list", "a value", "nothing": for messages such as "expected a list, got a map". */
    public String describe() {
      switch (kind) {
        case MAP:
          return "a map";
        case LIST:
          return "a list";
        case NULL:
          return "nothing";
        default:
          return "'" + text + "'";
      }
    }
  }

  /**
   * Reads one YAML document. An empty document gives a {@link Kind#NULL} node at 1:1.
   *
   * @throws SyntaxException on invalid YAML or a key repeated in one map
   */
  public static Node read(String yaml) throws SyntaxException {
    Objects.requireNonNull(yaml, "yaml");
    refuseReferences(yaml);
    try (JsonParser p = FACTORY.createParser(yaml)) {
      JsonToken t = p.nextToken();
      if (t == null) {
        return Node.empty();
      }
      Node root = readValue(p, t);
      JsonToken extra = p.nextToken();
      if (extra != null) {
        JsonLocation loc = p.currentTokenLocation();
        throw new SyntaxException(
            line(loc), column(loc), "more than one YAML document; only one is allowed");
      }
      return root;
    } catch (JsonProcessingException e) {
      JsonLocation loc = e.getLocation();
      throw new SyntaxException(line(loc), column(loc), cleanMessage(e.getOriginalMessage()));
    } catch (IOException e) {
      throw new SyntaxException(1, 1, "cannot read YAML: " + e.getMessage());
    }
  }

  private static Node readValue(JsonParser p, JsonToken t) throws IOException, SyntaxException {
    JsonLocation loc = p.currentTokenLocation();
    int line = line(loc);
    int column = column(loc);
    switch (t) {
      case START_OBJECT:
        {
          Map<String, Field> fields = new LinkedHashMap<>();
          JsonToken next;
          while ((next = p.nextToken()) == JsonToken.FIELD_NAME) {
            JsonLocation keyLoc = p.currentTokenLocation();
            String key = p.currentName();
            Node value = readValue(p, p.nextToken());
            Field previous = fields.get(key);
            if (previous != null) {
              throw new SyntaxException(
                  line(keyLoc),
                  column(keyLoc),
                  "duplicate key '" + key + "' (first at line " + previous.line() + ")");
            }
            fields.put(key, new Field(key, line(keyLoc), column(keyLoc), value));
          }
          if (next != JsonToken.END_OBJECT) {
            throw new SyntaxException(line, column, "unexpected " + next + " in a map");
          }
          return new Node(
              Kind.MAP, line, column, null, false, Collections.unmodifiableMap(fields), List.of());
        }
      case START_ARRAY:
        {
          List<Node> items = new ArrayList<>();
          JsonToken next;
          while ((next = p.nextToken()) != JsonToken.END_ARRAY) {
            if (next == null) {
              throw new SyntaxException(line, column, "list not closed");
            }
            items.add(readValue(p, next));
          }
          return new Node(
              Kind.LIST, line, column, null, false, Map.of(), Collections.unmodifiableList(items));
        }
      case VALUE_NULL:
        return new Node(Kind.NULL, line, column, null, false, Map.of(), List.of());
      case VALUE_STRING:
        // `key:` with nothing after it comes as an empty string; it means "not set"
        String text = p.getText();
        if (text.isEmpty()) {
          return new Node(Kind.NULL, line, column, null, false, Map.of(), List.of());
        }
        return new Node(Kind.SCALAR, line, column, text, true, Map.of(), List.of());
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
      case VALUE_TRUE:
      case VALUE_FALSE:
        return new Node(Kind.SCALAR, line, column, p.getText(), false, Map.of(), List.of());
      default:
        throw new SyntaxException(line, column, "unsupported YAML construct " + t);
    }
  }

  /**
   * Refuses the first anchor or alias, where it stands. Jackson resolves an alias to its bare name
   * and does not report anchors on scalars, so the events are read from SnakeYAML itself; syntax
   * errors are left to the Jackson parse, which reports them with our wording.
   */
  private static void refuseReferences(String yaml) throws SyntaxException {
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(MAX_CODE_POINTS);
    try {
      for (Event event : new Yaml(options).parse(new StringReader(yaml))) {
        if (event instanceof NodeEvent node && node.getAnchor() != null) {
          int line = event.getStartMark().getLine() + 1;
          int column = event.getStartMark().getColumn() + 1;
          throw event instanceof AliasEvent
              ? new SyntaxException(
                  line,
                  column,
                  "YAML alias '*" + node.getAnchor() + "' is not supported: write the value out")
              : new SyntaxException(
                  line,
                  column,
                  "YAML anchor '&" + node.getAnchor() + "' is not supported: write each value out");
        }
      }
    } catch (YAMLException syntax) {
      // reported by the Jackson parse
    }
  }

  private static int line(JsonLocation loc) {
    return loc == null || loc.getLineNr() < 1 ? 1 : loc.getLineNr();
  }

  private static int column(JsonLocation loc) {
    return loc == null || loc.getColumnNr() < 1 ? 1 : loc.getColumnNr();
  }

  /** Snakeyaml messages span several lines with a source excerpt; keep the first useful line. */
  private static String cleanMessage(String message) {
    if (message == null || message.isBlank()) {
      return "invalid YAML";
    }
    StringBuilder out = new StringBuilder();
    for (String part : message.split("\n")) {
      // snakeyaml indents its "in 'reader', line N" lines and source excerpts; keep the rest
      if (part.startsWith(" ") || part.startsWith("\t")) {
        continue;
      }
      String s = part.strip();
      if (s.isEmpty() || s.startsWith("in '") || s.startsWith("at [") || s.startsWith("^")) {
        continue;
      }
      if (s.contains(" line ") && s.contains("column")) {
        continue;
      }
      if (out.length() > 0) {
        out.append("; ");
      }
      out.append(s);
      if (out.length() > 160) {
        break;
      }
    }
    return out.length() == 0 ? "invalid YAML" : "invalid YAML: " + out;
  }
}
