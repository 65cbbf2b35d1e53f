package dev.edgeproxy.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanProperty;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.deser.ContextualDeserializer;
import dev.edgeproxy.config.ConfigSchema.Default;
import dev.edgeproxy.config.ConfigSchema.DefaultFrom;
import dev.edgeproxy.config.ConfigSchema.Given;
import dev.edgeproxy.config.ConfigSchema.ItemName;
import dev.edgeproxy.config.ConfigSchema.MayBeEmpty;
import dev.edgeproxy.config.ConfigSchema.NoneWord;
import dev.edgeproxy.config.ConfigSchema.OneOf;
import dev.edgeproxy.config.ConfigSchema.Required;
import dev.edgeproxy.config.RecordBinder.Binding;
import dev.edgeproxy.config.RecordBinder.Place;
import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Binds one record component written as a value, an {@code Optional} value or a list of values
 * (one value counts as a one-item list), with the default its {@link Default} (or {@link
 * DefaultFrom}) declares. A wrong value is reported where it is written and the default taken
 * instead of throwing, so that one load tells every problem. A value a section gives ({@link
 * Given}, a pool's name) is taken as it is; an {@code Optional} record or a list of records is
 * bound by {@link NestedRecordDeserializer}.
 */
final class ComponentDeserializer extends JsonDeserializer<Object> implements ContextualDeserializer {
  /** How the component is written. */
  enum Shape {
    VALUE,
    OPTIONAL,
    LIST,
    SET
  }

  /**
   * What the binder knows of one component.
   *
   * @param reader reads one value (an item of a list)
   * @param dflt the declared default; null when given by a section or required
   * @param dfltFrom computes the default at each load instead ({@link DefaultFrom}), or null
   * @param noneWord for an {@code Optional}: the word that means none, or null
   * @param mayBeEmpty for a list or set: whether {@code []} is a value
   * @param itemName for a list or set: what its items are called ({@link ItemName})
   */
  private record Spec(
      Shape shape,
      ValueReader reader,
      Object dflt,
      Supplier<?> dfltFrom,
      String noneWord,
      boolean mayBeEmpty,
      String itemName) {}

  /** A value given by a section: taken as it is. */
  private static final Spec GIVEN = new Spec(Shape.VALUE, null, null, null, null, false, null);

  /** Null in the uncontextualised instance Jackson asks first. */
  private final Spec spec;

  ComponentDeserializer() {
    this(null);
  }

  private ComponentDeserializer(Spec spec) {
    this.spec = spec;
  }

  @Override
  public JsonDeserializer<?> createContextual(DeserializationContext ctxt, BeanProperty property)
      throws JsonMappingException {
    if (property == null) {
      throw new IllegalStateException("a config value is bound only as a record component");
    }
    RecordComponent c = component(property.getMember().getDeclaringClass(), property.getName());
    if (c.isAnnotationPresent(Given.class)) {
      return new ComponentDeserializer(GIVEN);
    }
    Shape s =
        c.getType() == Optional.class
            ? Shape.OPTIONAL
            : c.getType() == List.class ? Shape.LIST : c.getType() == Set.class ? Shape.SET : Shape.VALUE;
    Class<?> type =
        s == Shape.VALUE
            ? c.getType()
            : (Class<?>) ((ParameterizedType) c.getGenericType()).getActualTypeArguments()[0];
    if (BindingTree.isMap(type)) {
      return new NestedRecordDeserializer(
          s == Shape.LIST, ctxt.findContextualValueDeserializer(ctxt.constructType(type), property));
    }
    NoneWord none = c.getAnnotation(NoneWord.class);
    DefaultFrom from = c.getAnnotation(DefaultFrom.class);
    ItemName items = c.getAnnotation(ItemName.class);
    return new ComponentDeserializer(
        new Spec(
            s,
            ValueReader.of(c, type),
            from == null ? dflt(c, s, ValueReader.ofDefault(c, type)) : null,
            from == null ? null : supplier(from),
            none == null ? null : none.value(),
            c.isAnnotationPresent(MayBeEmpty.class),
            items == null ? "value" : items.value()));
  }

  private static Object dflt(RecordComponent c, Shape s, ValueReader r) {
    Default d = c.getAnnotation(Default.class);
    if (s == Shape.OPTIONAL) {
      if (d != null && !inOneOf(c)) {
        throw new IllegalStateException(c + ": an Optional has a @Default only in a @OneOf group");
      }
      return Optional.empty(); // a @OneOf default is written in by the binder when no key is
    }
    ConfigKey key = c.getAnnotation(ConfigKey.class);
    if (d == null && key != null && key.value().equals(ConfigKey.NONE)) {
      return null; // not written: given by the section (a pool's name)
    }
    if (d == null && c.isAnnotationPresent(Required.class)) {
      return null; // missing: reported by the binder, the record left out
    }
    if (d == null || (s == Shape.VALUE && d.value().length != 1)) {
      throw new IllegalStateException(c + " needs one @Default");
    }
    List<Object> values = new ArrayList<>();
    for (String text : d.value()) {
      try {
        values.add(r.read(text, null));
      } catch (ValueReader.Refused e) {
        throw new IllegalStateException(c + ": @Default '" + text + "': " + e.getMessage(), e);
      }
    }
    return s == Shape.LIST ? List.copyOf(values) : s == Shape.SET ? Set.copyOf(values) : values.get(0);
  }

  private static boolean inOneOf(RecordComponent c) {
    OneOf group = c.getDeclaringRecord().getAnnotation(OneOf.class);
    return group != null && Arrays.asList(group.value()).contains(c.getName());
  }

  private static Supplier<?> supplier(DefaultFrom from) {
    try {
      return from.value().getDeclaredConstructor().newInstance();
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(from + " cannot be made", e);
    }
  }

  /** The default: computed now ({@link DefaultFrom}) or declared. */
  private Object dflt() {
    return spec.dfltFrom() != null ? spec.dfltFrom().get() : spec.dflt();
  }

  private static RecordComponent component(Class<?> record, String name) {
    for (RecordComponent c : record.getRecordComponents()) {
      if (c.getName().equals(name)) {
        return c;
      }
    }
    throw new IllegalStateException(record + " has no component " + name);
  }

  @Override
  public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    if (p.currentToken() == JsonToken.VALUE_EMBEDDED_OBJECT) {
      return p.getEmbeddedObject(); // given by the section, checked there
    }
    Binding binding = Binding.of(ctxt);
    String pointer = p.getParsingContext().pathAsPointer().toString();
    Place place = binding.place(pointer);
    if (spec.shape() == Shape.LIST) {
      return list(p, binding, pointer, place);
    }
    if (spec.shape() == Shape.SET) {
      return new LinkedHashSet<>(list(p, binding, pointer, place));
    }
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      p.skipChildren();
      binding.problem(place, "expected a single value, got " + place.node().describe());
      return dflt();
    }
    String text = p.getText();
    if (spec.noneWord() != null && text.strip().equals(spec.noneWord())) {
      return Optional.empty();
    }
    Object value = read(binding, place, text);
    if (value == null) {
      return dflt();
    }
    binding.seen(pointer, value, place);
    return spec.shape() == Shape.OPTIONAL ? Optional.of(value) : value;
  }

  /** The items read; items that are not values are reported and left out. */
  private List<Object> list(JsonParser p, Binding binding, String pointer, Place place) throws IOException {
    List<Object> out = new ArrayList<>();
    if (p.currentToken() == JsonToken.VALUE_STRING) {
      add(out, binding, pointer, place, p.getText());
      return out;
    }
    if (p.currentToken() != JsonToken.START_ARRAY) {
      p.skipChildren();
      binding.problem(place, "expected a value or a list, got " + place.node().describe());
      return out;
    }
    int values = 0;
    for (int i = 0; p.nextToken() != JsonToken.END_ARRAY; i++) {
      Place item = binding.place(pointer + "/" + i);
      if (p.currentToken() == JsonToken.VALUE_STRING) {
        values++;
        add(out, binding, pointer, item, p.getText());
      } else if (p.currentToken() != JsonToken.VALUE_NULL) { // null: a ${VAR} already reported
        p.skipChildren();
        binding.problem(item, "expected a single value, got " + item.node().describe());
      }
    }
    if (values == 0 && !spec.mayBeEmpty()) {
      binding.problem(place, "needs at least one " + spec.itemName());
    }
    return out;
  }

  private void add(List<Object> out, Binding binding, String pointer, Place place, String text) {
    Object item = read(binding, place, text);
    if (item != null) {
      out.add(item);
      binding.seen(pointer, item, place);
    }
  }

  /** The value of {@code text}; null after reporting why not. */
  private Object read(Binding binding, Place place, String text) {
    try {
      return spec.reader().read(text, binding.baseDir());
    } catch (ValueReader.Refused e) {
      binding.problem(place, e.getMessage());
      return null;
    }
  }

  /** Absent: the declared default. */
  @Override
  public Object getAbsentValue(DeserializationContext ctxt) {
    return dflt();
  }

  /** Null stands for a value already reported (an unset {@code ${VAR}}): the default, quietly. */
  @Override
  public Object getNullValue(DeserializationContext ctxt) {
    return dflt();
  }
}
