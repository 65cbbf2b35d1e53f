package dev.edgeproxy.config;

import java.util.Objects;
import java.util.Optional;

/**
 * {@code listeners}. An omitted {@code tls} or {@code http} block means no such listener; an omitted
 * {@code admin} block means the default admin listener ({@link AdminListenerConfig#defaults()}:
 * {@code 127.0.0.1:9901}, loopback only): there is always one. {@code health} is the optional
 * outside-facing readiness listener.
 */
public record ListenersConfig(
    Optional<TlsListenerConfig> tls,
    Optional<HttpListenerConfig> http,
    AdminListenerConfig admin,
    Optional<HealthListenerConfig> health) {
  public ListenersConfig {
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(http, "http");
    Objects.requireNonNull(admin, "admin");
    Objects.requireNonNull(health, "health");
  }

  /** Without a health listener. */
  public ListenersConfig(
      Optional<TlsListenerConfig> tls,
      Optional<HttpListenerConfig> http,
      AdminListenerConfig admin) {
    this(tls, http, admin, Optional.empty());
  }
}
