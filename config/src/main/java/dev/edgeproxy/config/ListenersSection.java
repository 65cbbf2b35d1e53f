package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.config.ConfigReader.Val;
import dev.edgeproxy.config.RecordBinder.Place;
import dev.edgeproxy.yaml.YamlTree.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads {@code listeners}: tls, http, admin and health, each bound to its record, then checks what
 * spans values: addresses that collide across listeners, the pool {@code noSni} names, and
 * {@code acceptProxyProtocol} written without {@code proxyProtocolFrom}.
 */
final class ListenersSection {
  private final ConfigReader r;
  /** Every listening address written so far (all listeners share the host's ports). */
  private final List<Map.Entry<BindAddress, Val>> writtenBinds = new ArrayList<>();

  ListenersSection(ConfigReader r) {
    this.r = r;
  }

  ListenersConfig listeners(M root) {
    M l = r.map(root, "listeners", ListenersConfig.class);
    M t = r.map(l, "tls", TlsListenerConfig.class);
    Optional<TlsListenerConfig> tls = bound(t, TlsListenerConfig.class);
    tls.ifPresent(config -> proxyProtocolFromWritten(t, config));
    Optional<HttpListenerConfig> http = bound(r.map(l, "http", HttpListenerConfig.class), HttpListenerConfig.class);
    AdminListenerConfig admin =
        bound(r.map(l, "admin", AdminListenerConfig.class), AdminListenerConfig.class)
            .orElse(AdminListenerConfig.defaults());
    Optional<HealthListenerConfig> health =
        bound(r.map(l, "health", HealthListenerConfig.class), HealthListenerConfig.class);
    return new ListenersConfig(tls, http, admin, health);
  }

  /** The listener written as {@code m} bound to its record; empty when not written. */
  private <T extends Record> Optional<T> bound(M m, Class<T> type) {
    if (!m.present()) {
      return Optional.empty();
    }
    return Optional.of(RecordBinder.bind(r, m, type, this::seen));
  }

  private void seen(String pointer, Object value, Place where) {
    Val at = new Val(value.toString(), where.node(), where.path());
    if (value instanceof BindAddress bind) {
      checkCollisions(bind, at);
    } else if (pointer.equals("/noSni")) {
      r.backendRefs.add(at);
    }
  }

  /**
   * {@code proxyProtocolFrom}: whose PROXY header to believe. Required with {@code
   * acceptProxyProtocol: true}, so that trusting every peer is a choice written out.
   */
  private void proxyProtocolFromWritten(M listener, TlsListenerConfig config) {
    if (config.acceptProxyProtocol() && listener.field("proxyProtocolFrom") == null) {
      Field f = listener.field("acceptProxyProtocol");
      r.problem(
          f.value(),
          listener.at("acceptProxyProtocol"),
          "needs proxyProtocolFrom: the load balancers' networks whose PROXY header is believed"
              + " (to trust every peer, write [\"0.0.0.0/0\", \"::/0\"])");
    }
  }

  private void checkCollisions(BindAddress bind, Val where) {
    for (Map.Entry<BindAddress, Val> earlier : writtenBinds) {
      Optional<String> why = BindCollisions.between(earlier.getKey(), bind);
      if (why.isPresent()) {
        r.problem(
            where.node(),
            where.path(),
            bind
                + " collides with "
                + earlier.getKey()
                + " ("
                + earlier.getValue().path()
                + " at line "
                + earlier.getValue().node().line()
                + "): "
                + why.get());
        break; // one problem per address is enough to fix it
      }
    }
    writtenBinds.add(Map.entry(bind, where));
  }
}
