package dev.edgeproxy.config;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The YAML key of a config record component whose name is not its key: {@code @ConfigKey("bind")
 * List<BindAddress> binds}, or {@code @ConfigKey(NONE)} for a component that is no key at all (a
 * pool's name is its key under {@code backends}).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
@interface ConfigKey {
  /** Marks a component that is not written as a key. */
  String NONE = "";

  String value();
}
