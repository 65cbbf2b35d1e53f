package dev.edgeproxy.config;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.KeyDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.deser.Deserializers;
import com.fasterxml.jackson.databind.jsontype.TypeDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.CollectionType;
import com.fasterxml.jackson.databind.type.MapType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.yaml.YamlTree.Node;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Binds a config map to its record with Jackson data binding. {@link YamlTree} has already read
 * the syntax and {@link ConfigReader} reports unknown keys (Jackson tells those of a record only
 * after the whole object, without a place); {@link BindingTree} turns the map's values, after
 * {@code ${VAR}} substitution, into a Jackson tree keyed by record component, with a pointer →
 * YAML node map so that {@link ComponentDeserializer} reports each wrong value at its {@code
 * LINE:COLUMN}. Nested maps are bound by Jackson's record deserializer, an {@code Optional} one or
 * a list of them by {@link NestedRecordDeserializer}.
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
                    return BindingTree.isMap(type.getRawClass()) ? null : new ComponentDeserializer();
                  }

                  @Override
                  public JsonDeserializer<?> findEnumDeserializer(
                      Class<?> type, DeserializationConfig config, BeanDescription beanDesc) {
                    return new ComponentDeserializer();
                  }

                  @Override
                  public JsonDeserializer<?> findMapDeserializer(
                      MapType type,
                      DeserializationConfig config,
                      BeanDescription beanDesc,
                      KeyDeserializer keyDeserializer,
                      TypeDeserializer elementTypeDeserializer,
                      JsonDeserializer<?> elementDeserializer) {
                    return new ComponentDeserializer(); // only ever given (the pools)
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

    /** Told for values written in the file (not for a {@code OneOf} default the binder wrote in). */
    void seen(String pointer, Object value, Place where) {
      if (where != null) {
        valueSeen.seen(pointer, value, where);
      }
    }

    /** Whether any problem was reported in this load (so a refused record is explained). */
    boolean problemsReported() {
      return !reader.problems.isEmpty();
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

  /** The {@link ConfigSchema.Default} of {@code type}'s value {@code component}, as read. */
  static Object defaultOf(Class<? extends Record> type, String component) {
    for (RecordComponent c : type.getRecordComponents()) {
      if (c.getName().equals(component)) {
        Class<?> t =
            c.getType() == Optional.class
                ? (Class<?>) ((ParameterizedType) c.getGenericType()).getActualTypeArguments()[0]
                : c.getType();
        String text = c.getAnnotation(ConfigSchema.Default.class).value()[0];
        try {
          return ValueReader.ofDefault(c, t).read(text, null);
        } catch (ValueReader.Refused e) {
          throw new IllegalStateException(c + ": @Default '" + text + "': " + e.getMessage(), e);
        }
      }
    }
    throw new IllegalStateException(type + " has no component " + component);
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
   * As above, with the values of the components that are no key ({@link ConfigKey#NONE}: a
   * pool's name is its key under {@code backends}) or read by a section ({@link
   * ConfigSchema.Given}) given by name.
   */
  static <T extends Record> T bind(
      ConfigReader reader, M map, Class<T> type, ValueSeen valueSeen, Map<String, ?> given) {
    Binding binding = new Binding(reader, valueSeen);
    ObjectNode tree = new BindingTree(reader, binding.places).record(map.node(), map.path(), "", type);
    given.forEach(tree::putPOJO);
    ObjectReader bound = MAPPER.readerFor(type).withAttribute(Binding.class, binding);
    try {
      return bound.readValue(bound.treeAsTokens(tree));
    } catch (IOException e) {
      // a value the deserializers let through that the record's constructor refuses: a defect here
      throw new IllegalStateException(map.path() + ": " + e.getMessage(), e);
    }
  }
}
