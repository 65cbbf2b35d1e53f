package dev.edgeproxy.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import dev.edgeproxy.config.RecordBinder.Binding;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Binds an {@code Optional} record (a source: absent means none) or a list of records ({@code
 * routes}) with the record's own deserializer. {@link RecordBinder} has already reported what is
 * not a map and the keys that are missing or unknown; a record whose constructor then refuses (a
 * required value missing or refused, reported) is left out, so the load goes on to tell every
 * problem.
 */
final class NestedRecordDeserializer extends JsonDeserializer<Object> {
  private final boolean list;
  private final JsonDeserializer<Object> record;

  NestedRecordDeserializer(boolean list, JsonDeserializer<Object> record) {
    this.list = list;
    this.record = record;
  }

  @Override
  public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
    if (!list) {
      return one(p, ctxt);
    }
    List<Object> out = new ArrayList<>();
    if (p.currentToken() != JsonToken.START_ARRAY) { // not a list: reported by the binder
      p.skipChildren();
      return out;
    }
    while (p.nextToken() != JsonToken.END_ARRAY) {
      if (p.currentToken() != JsonToken.VALUE_NULL) { // null: an item that is not a map, reported
        one(p, ctxt).ifPresent(out::add);
      }
    }
    return out;
  }

  private Optional<Object> one(JsonParser p, DeserializationContext ctxt) throws IOException {
    try {
      return Optional.of(record.deserialize(p, ctxt));
    } catch (ValueInstantiationException e) {
      if (!Binding.of(ctxt).problemsReported()) {
        throw e; // refused without a problem told: a defect in the binder
      }
      return Optional.empty();
    }
  }

  /** Absent: no such record (a source not configured, no routes). */
  @Override
  public Object getAbsentValue(DeserializationContext ctxt) {
    return list ? List.of() : Optional.empty();
  }

  @Override
  public Object getNullValue(DeserializationContext ctxt) {
    return getAbsentValue(ctxt);
  }
}
