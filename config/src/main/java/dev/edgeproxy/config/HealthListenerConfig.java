package dev.edgeproxy.config;

import java.net.InetAddress;
import java.util.List;

/**
 * {@code listeners.health}: a second, minimal HTTP listener answering only {@code GET /healthz}
 * and {@code GET /readyz}, for a Route53 health check or a load balancer that must reach readiness
 * from outside while the admin endpoint stays on loopback or the mesh. It tells nothing but yes or
 * no: the reasons stay on the admin endpoint.
 *
 * @param binds {@code bind}; default {@code 0.0.0.0:9902}
 * @param allowFrom networks allowed to ask; default every address (answers carry no detail)
 */
public record HealthListenerConfig(
    @ConfigKey("bind") List<BindAddress> binds, List<Cidr> allowFrom) {
  public static final List<BindAddress> DEFAULT_BINDS = List.of(new BindAddress("0.0.0.0", 9902));
  public static final List<Cidr> EVERYONE = List.of(Cidr.parse("0.0.0.0/0"), Cidr.parse("::/0"));

  public HealthListenerConfig {
    binds = List.copyOf(binds);
    allowFrom = List.copyOf(allowFrom);
  }

  /** True when {@code client} may ask. */
  public boolean allows(InetAddress client) {
    return allowFrom.stream().anyMatch(c -> c.contains(client));
  }
}
