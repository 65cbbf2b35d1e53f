package dev.edgeproxy.config;

import java.lang.reflect.RecordComponent;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The keys of a config map, read off its record: one key per component, named as the component
 * unless {@link ConfigKey} says otherwise. So a key is declared once, on the record that holds its
 * value, and the reader cannot accept a key the record has no place for.
 */
final class ConfigKeys {
  private static final Map<Class<?>, Set<String>> KEYS = new ConcurrentHashMap<>();

  private ConfigKeys() {}

  static Set<String> of(Class<? extends Record> schema) {
    return KEYS.computeIfAbsent(schema, ConfigKeys::read);
  }

  private static Set<String> read(Class<?> schema) {
    Set<String> keys = new LinkedHashSet<>();
    for (RecordComponent c : schema.getRecordComponents()) {
      ConfigKey key = c.getAnnotation(ConfigKey.class);
      if (key == null) {
        keys.add(c.getName());
      } else if (!key.value().equals(ConfigKey.NONE)) {
        keys.add(key.value());
      }
    }
    return Set.copyOf(keys);
  }
}
