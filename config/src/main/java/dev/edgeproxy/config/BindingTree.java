package dev.edgeproxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.config.ConfigSchema.Default;
import dev.edgeproxy.config.ConfigSchema.Given;
import dev.edgeproxy.config.ConfigSchema.OneOf;
import dev.edgeproxy.config.ConfigSchema.Required;
import dev.edgeproxy.config.RecordBinder.Place;
import dev.edgeproxy.yaml.YamlTree.Field;
import dev.edgeproxy.yaml.YamlTree.Node;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Jackson tree {@link RecordBinder} binds: a config map's values, after {@code ${VAR}}
 * substitution, keyed by record component, with the place of each value by JSON pointer. What the
 * structure says is reported here, where it is written: a nested map's unknown keys, a required key
 * missing, an item of a list of maps that is no map, both keys of a {@link OneOf} pair.
 */
final class BindingTree {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private final ConfigReader reader;
  private final Map<String, Place> places;

  BindingTree(ConfigReader reader, Map<String, Place> places) {
    this.reader = reader;
    this.places = places;
  }

  /**
   * The fields of {@code map} (null: not written) written as {@code type}, keyed by component
   * name, nulls left out; a record component not written gets its own defaults.
   */
  ObjectNode record(Node map, String path, String pointer, Class<?> type) {
    ObjectNode out = NODES.objectNode();
    Map<String, Field> fields = map == null || !map.isMap() ? Map.of() : map.fields();
    for (RecordComponent c : type.getRecordComponents()) {
      if (c.isAnnotationPresent(Given.class)) {
        continue;
      }
      String key = key(c);
      Field f = key.equals(ConfigKey.NONE) ? null : fields.get(key);
      String at = path.isEmpty() ? key : path + "." + key;
      String ptr = pointer + "/" + c.getName();
      Class<?> nested = recordType(c);
      if (f == null || f.value().isNull()) {
        if (isMap(c.getType())) { // a map not written: its own defaults
          out.set(c.getName(), record(null, at, ptr, c.getType()));
        } else if (map != null && map.isMap() && c.isAnnotationPresent(Required.class)) {
          reader.problem(map.line(), map.column(), at + ": required");
        }
        continue;
      }
      places.put(ptr, new Place(f.value(), at));
      if (nested != null && c.getType() == List.class) {
        out.set(c.getName(), records(f.value(), at, ptr, nested));
      } else if (nested != null) {
        M opened = reader.open(f.value(), at, nested.asSubclass(Record.class));
        out.set(c.getName(), record(opened.node(), at, ptr, nested));
      } else {
        out.set(c.getName(), value(f.value(), at, ptr));
      }
    }
    oneOf(pointer, type, out);
    return out;
  }

  /** A list of maps, each written as {@code type}; an item that is no map becomes null. */
  private JsonNode records(Node list, String path, String pointer, Class<?> type) {
    if (!list.isList()) {
      List<String> keys = new ArrayList<>();
      for (RecordComponent c : type.getRecordComponents()) {
        keys.add(key(c));
      }
      reader.problem(
          list, path, "expected a list of {" + String.join(", ", keys) + "}, got " + list.describe());
      return NODES.nullNode();
    }
    ArrayNode out = NODES.arrayNode();
    for (int i = 0; i < list.items().size(); i++) {
      String at = path + "[" + i + "]";
      M item = reader.open(list.items().get(i), at, type.asSubclass(Record.class));
      out.add(item.present() ? record(item.node(), at, pointer + "/" + i, type) : NODES.nullNode());
    }
    return out;
  }

  /**
   * The keys of a {@link OneOf} group: both written is a problem at the first; none written, the
   * default of the one that declares it written in as if it were.
   */
  private void oneOf(String pointer, Class<?> type, ObjectNode out) {
    OneOf group = type.getAnnotation(OneOf.class);
    if (group == null) {
      return;
    }
    List<String> written = new ArrayList<>();
    RecordComponent withDefault = null;
    for (RecordComponent c : type.getRecordComponents()) {
      if (List.of(group.value()).contains(c.getName())) {
        if (out.hasNonNull(c.getName())) {
          written.add(c.getName());
        }
        withDefault = c.isAnnotationPresent(Default.class) ? c : withDefault;
      }
    }
    if (written.size() > 1) {
      Place first = places.get(pointer + "/" + written.get(0));
      reader.problem(
          first.node(), first.path(), "set either " + String.join(" or ", group.value()) + ", not both");
    } else if (written.isEmpty() && withDefault != null) {
      out.put(withDefault.getName(), withDefault.getAnnotation(Default.class).value()[0]);
    }
  }

  /** A value as written; a scalar whose substitution failed (reported) becomes null. */
  private JsonNode value(Node n, String path, String pointer) {
    places.put(pointer, new Place(n, path));
    if (n.isNull()) {
      // a null list item: not a value, reported as "got nothing" (its YAML node says so)
      return NODES.objectNode();
    }
    if (n.isScalar()) {
      ConfigReader.Val v = reader.scalar(n, path);
      return v.text() == null ? NODES.nullNode() : NODES.textNode(v.text());
    }
    if (n.isList()) {
      ArrayNode list = NODES.arrayNode();
      for (int i = 0; i < n.items().size(); i++) {
        list.add(value(n.items().get(i), path, pointer + "/" + i));
      }
      return list;
    }
    ObjectNode map = NODES.objectNode();
    for (Field f : n.fields().values()) {
      map.set(f.key(), value(f.value(), path + "." + f.key(), pointer + "/" + f.key()));
    }
    return map;
  }

  private static String key(RecordComponent c) {
    ConfigKey named = c.getAnnotation(ConfigKey.class);
    return named == null ? c.getName() : named.value();
  }

  /** The record a component holds as a map, an {@code Optional} or a list; null for a value. */
  private static Class<?> recordType(RecordComponent c) {
    if (isMap(c.getType())) {
      return c.getType();
    }
    if (c.getType() == Optional.class || c.getType() == List.class) {
      Object arg = ((ParameterizedType) c.getGenericType()).getActualTypeArguments()[0];
      return arg instanceof Class<?> k && isMap(k) ? k : null;
    }
    return null;
  }

  /** A record written as a map; one with a {@code parse(String)} is a value ({@code 10.0.0.0/8}). */
  static boolean isMap(Class<?> type) {
    return type.isRecord() && !ValueReader.hasParser(type);
  }
}
