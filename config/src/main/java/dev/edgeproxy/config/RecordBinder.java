package dev.edgeproxy.config;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.deser.Deserializers;
import com.fasterxml.jackson.databind.jsontype.TypeDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.CollectionType;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.yaml.YamlTree.Field;
import dev.edgeproxy.yaml.YamlTree.Node;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Binds a config map to its record with Jackson data binding. {@link YamlTree} has already read
 * the syntax and {@link ConfigReader} reported unknown keys (Jackson tells those of a record only
 * after the whole object, without a place); here the map's values, after {@code ${VAR}}
 * substitution, become a Jackson tree keyed by record component, with a pointer → YAML node map
 * so that {@link ScalarDeserializer} reports each wrong value at its {@code LINE:COLUMN}.
 */
final class RecordBinder {
  private static final ObjectMapper MAPPER = mapper();

  private RecordBinder() {}

  private static ObjectMapper mapper() {
    SimpleModule scalars =
        new SimpleModule("config-scalars") {
          @Override
          public void setupModule(SetupContext context) {
            context.addDeserializers(
                // every component but a record (bound by Jackson's own record deserializer)
                new Deserializers.Base() {
                  @Override
                  public JsonDeserializer<?> findBeanDeserializer(
                      JavaType type, DeserializationConfig config, BeanDescription beanDesc) {
                    return type.isRecordType() ? null : new ComponentDeserializer();
                  }

                  @Override
                  public JsonDeserializer<?> findEnumDeserializer(
                      Class<?> type, DeserializationConfig config, BeanDescription beanDesc) {
                    return new ComponentDeserializer();
                  }

                  @Override
                  public JsonDeserializer<?> findCollectionDeserializer(
                      CollectionType type,
                      DeserializationConfig config,
                      BeanDescription beanDesc,
                      TypeDeserializer elementTypeDeserializer,
                      JsonDeserializer<?> elementDeserializer) {
                    return new ComponentDeserializer();
                  }
                });
          }
        };
    return new ObjectMapper()
        .registerModule(scalars)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  }

  /** Told each value read (each item of a list), with where it is written: for checks across values. */
  interface ValueSeen {
    /** {@code pointer} is the component's, as {@code /binds} for each of its items. */
    void seen(String pointer, Object value, Place where);
  }

  /** One binding: where each value is written, and where its problems go. */
  static final class Binding {
    private final ConfigReader reader;
    private final ValueSeen valueSeen;
    /** By JSON pointer of each bound value: its YAML node and key path. */
    private final Map<String, Place> places = new HashMap<>();

    private Binding(ConfigReader reader, ValueSeen valueSeen) {
      this.reader = reader;
      this.valueSeen = valueSeen;
    }

    static Binding of(DeserializationContext ctxt) {
      return (Binding) ctxt.getAttribute(Binding.class);
    }

    Place place(String pointer) {
      return places.get(pointer);
    }

    void problem(Place where, String message) {
      reader.problem(where.node(), where.path(), message);
    }

    void seen(String pointer, Object value, Place where) {
      valueSeen.seen(pointer, value, where);
    }

    /** Where relative paths start; null: the working directory. */
    Path baseDir() {
      return reader.baseDir();
    }
  }

  /** A value's YAML node and its key path ({@code backends.a.healthCheck.interval}). */
  record Place(Node node, String path) {}

  /** The defaults of {@code type}: every component as its {@link ConfigSchema.Default} says. */
  static <T extends Record> T defaults(Class<T> type) {
    return bind(new ConfigReader("defaults", Map.of(), null), new M(null, "", ConfigKeys.of(type)), type);
  }

  /**
   * {@code map} (opened as {@code type} by the reader, so unknown keys are reported) bound to
   * {@code type}; every problem goes to {@code reader} and the default stands in for its value.
   */
  static <T extends Record> T bind(ConfigReader reader, M map, Class<T> type) {
    return bind(reader, map, type, (pointer, value, where) -> {});
  }

  /** As above, telling {@code valueSeen} every value read. */
  static <T extends Record> T bind(ConfigReader reader, M map, Class<T> type, ValueSeen valueSeen) {
    return bind(reader, map, type, valueSeen, Map.of());
  }

  /**
   * As above, with the values of the components that are no key ({@link ConfigKey#NONE}) given
   * by name: a pool's name is its key under {@code backends}.
   */
  static <T extends Record> T bind(
      ConfigReader reader, M map, Class<T> type, ValueSeen valueSeen, Map<String, String> given) {
    Binding binding = new Binding(reader, valueSeen);
    ObjectNode tree = record(reader, binding, map.node(), map.path(), "", type);
    given.forEach(tree::put);
    ObjectReader bound = MAPPER.readerFor(type).withAttribute(Binding.class, binding);
    try {
      return bound.readValue(bound.treeAsTokens(tree));
    } catch (IOException e) {
      // a value the deserializers let through that the record's constructor refuses: a defect here
      throw new IllegalStateException(map.path() + ": " + e.getMessage(), e);
    }
  }

  /** The fields of a map written as {@code type}, keyed by component name, nulls left out. */
  private static ObjectNode record(
      ConfigReader reader, Binding binding, Node map, String path, String pointer, Class<?> type) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    if (map == null || !map.isMap()) {
      return out;
    }
    for (RecordComponent c : type.getRecordComponents()) {
      ConfigKey named = c.getAnnotation(ConfigKey.class);
      String key = named == null ? c.getName() : named.value();
      Field f = key.equals(ConfigKey.NONE) ? null : map.fields().get(key);
      if (f == null || f.value().isNull()) {
        if (c.getType().isRecord()) { // a map not written: its own defaults
          out.set(c.getName(), record(reader, binding, null, "", "", c.getType()));
        }
        continue;
      }
      String at = path.isEmpty() ? key : path + "." + key;
      String ptr = pointer + "/" + c.getName();
      binding.places.put(ptr, new Place(f.value(), at));
      if (c.getType().isRecord()) {
        M nested = reader.open(f.value(), at, c.getType().asSubclass(Record.class));
        out.set(c.getName(), record(reader, binding, nested.node(), at, ptr, c.getType()));
      } else {
        out.set(c.getName(), value(reader, binding, f.value(), at, ptr));
      }
    }
    return out;
  }

  /** A value as written; a scalar whose substitution failed (reported) becomes null. */
  private static JsonNode value(ConfigReader reader, Binding binding, Node n, String path, String pointer) {
    binding.places.put(pointer, new Place(n, path));
    if (n.isNull()) {
      // a null list item: not a value, reported as "got nothing" (its YAML node says so)
      return JsonNodeFactory.instance.objectNode();
    }
    if (n.isScalar()) {
      ConfigReader.Val v = reader.scalar(n, path);
      return v.text() == null
          ? JsonNodeFactory.instance.nullNode()
          : JsonNodeFactory.instance.textNode(v.text());
    }
    if (n.isList()) {
      ArrayNode list = JsonNodeFactory.instance.arrayNode();
      for (int i = 0; i < n.items().size(); i++) {
        list.add(value(reader, binding, n.items().get(i), path, pointer + "/" + i));
      }
      return list;
    }
    ObjectNode map = JsonNodeFactory.instance.objectNode();
    for (Field f : n.fields().values()) {
      map.set(f.key(), value(reader, binding, f.value(), path + "." + f.key(), pointer + "/" + f.key()));
    }
    return map;
  }
}
