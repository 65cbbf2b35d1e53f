package dev.edgeproxy.config;

import dev.edgeproxy.config.ConfigReader.M;
import dev.edgeproxy.config.ConfigReader.Val;
import dev.edgeproxy.config.HttpListenerConfig.HttpMode;
import dev.edgeproxy.yaml.YamlTree.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads {@code listeners}: tls, http, admin and health. */
final class ListenersSection {
  private final ConfigReader r;
  /** Every listening address written so far (all listeners share the host's ports). */
  private final List<Map.Entry<BindAddress, Val>> writtenBinds = new ArrayList<>();

  ListenersSection(ConfigReader r) {
    this.r = r;
  }

  ListenersConfig listeners(M root) {
    M l = r.map(root, "listeners", ListenersConfig.class);
    Optional<TlsListenerConfig> tls = Optional.empty();
    M t = r.map(l, "tls", TlsListenerConfig.class);
    if (t.present()) {
      Optional<String> noSni = Optional.empty();
      Val v = r.val(t, "noSni");
      if (v != null && v.text() != null && !v.text().strip().equals("refuse")) {
        if (v.text().isBlank()) {
          r.problem(v.node(), v.path(), "must not be empty (refuse or a backend name)");
        } else {
          noSni = Optional.of(v.text().strip());
          r.backendRefs.add(v);
        }
      }
      boolean acceptProxy = r.bool(t, "acceptProxyProtocol", false);
      List<Cidr> proxyFrom = proxyProtocolFrom(t, acceptProxy);
      tls =
          Optional.of(
              new TlsListenerConfig(
                  binds(t, TlsListenerConfig.DEFAULT_BINDS),
                  acceptProxy && !proxyFrom.isEmpty(),
                  proxyFrom,
                  r.positiveDuration(
                      t, "clientHelloTimeout", TlsListenerConfig.DEFAULT_CLIENT_HELLO_TIMEOUT),
                  r.size(
                      t,
                      "maxClientHelloBytes",
                      TlsListenerConfig.DEFAULT_MAX_CLIENT_HELLO_BYTES,
                      TlsListenerConfig.MIN_MAX_CLIENT_HELLO_BYTES,
                      TlsListenerConfig.MAX_MAX_CLIENT_HELLO_BYTES),
                  noSni));
    }
    Optional<HttpListenerConfig> http = Optional.empty();
    M h = r.map(l, "http", HttpListenerConfig.class);
    if (h.present()) {
      http =
          Optional.of(
              new HttpListenerConfig(
                  binds(h, HttpListenerConfig.DEFAULT_BINDS),
                  r.enumValue(h, "mode", HttpMode.class, HttpMode.FORWARD),
                  r.size(
                      h,
                      "maxHeaderBytes",
                      HttpListenerConfig.DEFAULT_MAX_HEADER_BYTES,
                      1024,
                      1 << 20),
                  r.positiveDuration(h, "headerTimeout", HttpListenerConfig.DEFAULT_HEADER_TIMEOUT)));
    }
    M a = r.map(l, "admin", AdminListenerConfig.class);
    AdminListenerConfig admin = AdminListenerConfig.defaults();
    if (a.present()) {
      Optional<String> token = Optional.empty();
      Val v = r.val(a, "syncToken");
      if (v != null && v.text() != null) {
        if (v.text().isBlank()) {
          r.problem(v.node(), v.path(), "must not be empty (omit it to disable POST /sync)");
        } else {
          token = Optional.of(v.text().strip());
        }
      }
      admin =
          new AdminListenerConfig(
              binds(a, AdminListenerConfig.DEFAULT_BINDS),
              r.parsedList(a, "allowFrom", Cidr.loopback(), Cidr::parse),
              token,
              r.integer(
                  a,
                  "maxConnections",
                  AdminListenerConfig.DEFAULT_MAX_CONNECTIONS,
                  1,
                  AdminListenerConfig.MAX_MAX_CONNECTIONS));
    }
    M hl = r.map(l, "health", HealthListenerConfig.class);
    Optional<HealthListenerConfig> health =
        hl.present()
            ? Optional.of(
                new HealthListenerConfig(
                    binds(hl, HealthListenerConfig.DEFAULT_BINDS),
                    r.parsedList(hl, "allowFrom", HealthListenerConfig.EVERYONE, Cidr::parse)))
            : Optional.empty();
    return new ListenersConfig(tls, http, Optional.of(admin), health);
  }

  /**
   * {@code proxyProtocolFrom}: whose PROXY header to believe. Required with {@code
   * acceptProxyProtocol: true}, so that trusting every peer is a choice written out.
   */
  List<Cidr> proxyProtocolFrom(M listener, boolean acceptProxyProtocol) {
    List<Cidr> from = r.parsedList(listener, "proxyProtocolFrom", List.of(), Cidr::parse);
    if (acceptProxyProtocol && from.isEmpty() && listener.field("proxyProtocolFrom") == null) {
      Field f = listener.field("acceptProxyProtocol");
      r.problem(
          f.value(),
          listener.at("acceptProxyProtocol"),
          "needs proxyProtocolFrom: the load balancers' networks whose PROXY header is believed"
              + " (to trust every peer, write [\"0.0.0.0/0\", \"::/0\"])");
    }
    return from;
  }

  /** {@code bind}: each address checked against those of every listener read before. */
  private List<BindAddress> binds(M m, List<BindAddress> dflt) {
    return r.parsedList(m, "bind", dflt, BindAddress::parse, this::checkCollisions);
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
