package dev.edgeproxy.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.route53.model.AliasTarget;
import software.amazon.awssdk.services.route53.model.ResourceRecord;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;

class PointingAtTest {
  private final PointingAt here =
      PointingAt.parse(
          List.of(
              "203.0.113.10", "2001:db8::10", "Entrance.Example.com.", "lb-1.elb.amazonaws.com"));

  private static ResourceRecordSet set(String type, String... values) {
    return ResourceRecordSet.builder()
        .name("x.example.com.")
        .type(type)
        .resourceRecords(
            Arrays.stream(values)
                .map(v -> ResourceRecord.builder().value(v).build())
                .toList())
        .build();
  }

  private static ResourceRecordSet alias(String type, String target) {
    return ResourceRecordSet.builder()
        .name("x.example.com.")
        .type(type)
        .aliasTarget(AliasTarget.builder().dnsName(target).hostedZoneId("Z1").build())
        .build();
  }

  @Test
  void anyValueOfARoundRobinSetCounts() {
    assertThat(here.matches(set("A", "198.51.100.1", "203.0.113.10"))).isTrue();
    assertThat(here.matches(set("A", "198.51.100.1"))).isFalse();
  }

  @Test
  void ipv6ValuesCompareAsAddresses() {
    assertThat(here.matches(set("AAAA", "2001:0db8:0:0:0:0:0:10"))).isTrue();
    assertThat(here.matches(set("AAAA", "2001:DB8::10"))).isTrue();
    assertThat(here.matches(set("AAAA", "2001:db8::11"))).isFalse();
  }

  @Test
  void cnameTargetsCompareWithoutCaseOrTrailingDot() {
    assertThat(here.matches(set("CNAME", "entrance.example.com"))).isTrue();
    assertThat(here.matches(set("CNAME", "ENTRANCE.example.COM."))).isTrue();
    assertThat(here.matches(set("CNAME", "other.example.com."))).isFalse();
    // an address in pointingAt is not a CNAME target, and a TXT value never counts
    assertThat(here.matches(set("CNAME", "203.0.113.10"))).isFalse();
    assertThat(here.matches(set("TXT", "\"entrance.example.com\""))).isFalse();
    assertThat(here.matches(set("MX", "10 entrance.example.com."))).isFalse();
  }

  @Test
  void aliasTargetsIgnoreDualstackPrefix() {
    assertThat(here.matches(alias("A", "dualstack.LB-1.elb.amazonaws.com."))).isTrue();
    assertThat(here.matches(alias("AAAA", "lb-1.elb.amazonaws.com"))).isTrue();
    assertThat(here.matches(alias("A", "entrance.example.com."))).isTrue();
    assertThat(here.matches(alias("A", "dualstack.lb-2.elb.amazonaws.com."))).isFalse();
    assertThat(here.matches(alias("MX", "entrance.example.com."))).isFalse();
  }

  @Test
  void ipLiteralsNeverFallBackToDns() {
    assertThat(PointingAt.ipLiteral("256.1.1.1")).isEmpty();
    assertThat(PointingAt.ipLiteral("1.2.3")).isEmpty();
    assertThat(PointingAt.ipLiteral("example.com")).isEmpty();
    assertThat(PointingAt.ipLiteral("gg::1")).isEmpty();
    assertThat(PointingAt.ipLiteral("[::1]")).isPresent();
    assertThat(PointingAt.ipLiteral("010.000.000.001")).isPresent();
  }

  @Test
  void invalidValuesAreRejected() {
    assertThatThrownBy(() -> PointingAt.parse(List.of("300.1.2.3")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("300.1.2.3");
    assertThatThrownBy(() -> PointingAt.parse(List.of("not a name")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("neither");
    assertThatThrownBy(() -> PointingAt.parse(List.of("2001:db8::zz")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
