package dev.edgeproxy.server.observe;

import dev.edgeproxy.config.AdminListenerConfig;
import dev.edgeproxy.config.EdgeProxyConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a fleet check compares between nodes: the product version and a hash of the configuration
 * in force, shown in {@code /status} ({@code configHash}) and as {@code edge_build_info{version,
 * config_hash} 1}. The hash covers the loaded configuration (defaults filled in, {@code ${VAR}}
 * resolved) except what differs between nodes by design: {@code node.name} and the admin
 * listener's bind addresses (a node's own mesh address). Secrets are not part of it: the
 * configuration's text form never prints them. Updated by every successful reload.
 */
public final class BuildInfo {
  private final MeterRegistry registry;
  private final String version;
  private Meter gauge;
  private volatile String configHash = "";

  public BuildInfo(MeterRegistry registry, String version) {
    this.registry = registry;
    this.version = version;
  }

  /** Hashes {@code config} and moves the {@code edge_build_info} series to the new hash. */
  public synchronized void configLoaded(EdgeProxyConfig config) {
    String hash = hash(config);
    if (hash.equals(configHash)) {
      return;
    }
    if (gauge != null) {
      registry.remove(gauge);
    }
    gauge =
        Gauge.builder("edge.build.info", () -> 1)
            .description("1, labelled with the product version and the hash of the configuration in force")
            .tag("version", version)
            .tag("config_hash", hash)
            .register(registry);
    configHash = hash;
  }

  /** The product version from the jar's manifest, {@code dev} when run from classes. */
  public static String productVersion() {
    String v = BuildInfo.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  public String configHash() {
    return configHash;
  }

  /**
   * The first 16 hex digits of the SHA-256 of the configuration's text form, with the node name
   * and the admin bind addresses blanked in it (done on the text, so that a key added to the
   * configuration later is covered without touching this).
   */
  static String hash(EdgeProxyConfig config) {
    String text = config.toString().replace(config.node().toString(), "NodeConfig[]");
    AdminListenerConfig admin = config.listeners().admin();
    String own = admin.toString();
    text = text.replace(own, own.replace("binds=" + admin.binds(), "binds=[]"));
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
