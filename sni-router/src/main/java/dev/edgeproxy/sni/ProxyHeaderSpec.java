package dev.edgeproxy.sni;

import java.util.Objects;

/**
 * Which PROXY protocol header to send a backend before the client's bytes.
 *
 * @param version NONE, V1 or V2
 * @param authorityTlv v2 only: send {@code PP2_TYPE_AUTHORITY} (0x02) with the host
 * @param uniqueIdTlv v2 only: send {@code PP2_TYPE_UNIQUE_ID} (0x05) with the connection id
 */
public record ProxyHeaderSpec(Version version, boolean authorityTlv, boolean uniqueIdTlv) {
  public static final ProxyHeaderSpec NONE = new ProxyHeaderSpec(Version.NONE, false, false);
  public static final ProxyHeaderSpec V2_WITH_TLVS = new ProxyHeaderSpec(Version.V2, true, true);

  public enum Version {
    NONE,
    V1,
    V2
  }

  public ProxyHeaderSpec {
    Objects.requireNonNull(version, "version");
  }
}
