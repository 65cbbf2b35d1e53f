package dev.edgeproxy.server.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.edgeproxy.sni.ConnectionInfo;
import dev.edgeproxy.sni.ConnectionRecord;
import dev.edgeproxy.sni.Decision;
import dev.edgeproxy.sni.Reason;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AccessLogTest {
  private static ConnectionRecord record(String host, Decision decision, Reason reason) {
    return new ConnectionRecord(
        new ConnectionInfo(
            "0123456789abcdef",
            "tls",
            new InetSocketAddress("2001:db8::7", 51234),
            new InetSocketAddress("127.0.0.1", 443)),
        host,
        decision,
        reason,
        decision == Decision.FORWARDED ? "traefik" : null,
        decision == Decision.FORWARDED ? "100.64.0.10:443" : null,
        517,
        4096,
        TimeUnit.MILLISECONDS.toNanos(1234));
  }

  @Test
  void jsonLineHasTheSpecKeysAndLeavesOutAbsentOnes() throws Exception {
    JsonNode forwarded = new ObjectMapper().readTree(AccessLog.json(record("grafana.example.com", Decision.FORWARDED, null)));
    assertThat(Instant.parse(forwarded.get("time").asText())).isNotNull();
    assertThat(forwarded.get("id").asText()).isEqualTo("0123456789abcdef");
    assertThat(forwarded.get("listener").asText()).isEqualTo("tls");
    assertThat(forwarded.get("client").asText()).isEqualTo("2001:db8:0:0:0:0:0:7");
    assertThat(forwarded.get("clientPort").asInt()).isEqualTo(51234);
    assertThat(forwarded.get("host").asText()).isEqualTo("grafana.example.com");
    assertThat(forwarded.get("decision").asText()).isEqualTo("forwarded");
    assertThat(forwarded.has("reason")).isFalse();
    assertThat(forwarded.get("pool").asText()).isEqualTo("traefik");
    assertThat(forwarded.get("endpoint").asText()).isEqualTo("100.64.0.10:443");
    assertThat(forwarded.get("bytesIn").asLong()).isEqualTo(517);
    assertThat(forwarded.get("bytesOut").asLong()).isEqualTo(4096);
    assertThat(forwarded.get("durationMs").asLong()).isEqualTo(1234);

    JsonNode noSni = new ObjectMapper().readTree(AccessLog.json(record(null, Decision.REFUSED, Reason.NO_SNI)));
    assertThat(noSni.has("host")).isFalse();
    assertThat(noSni.get("reason").asText()).isEqualTo("no_sni");
  }

  @Test
  void hostileHostTextIsEscaped() throws Exception {
    String line = AccessLog.json(record("evil\"\n\u0001host", Decision.REFUSED, Reason.INVALID_HOST));
    assertThat(line).doesNotContain("\n");
    assertThat(new ObjectMapper().readTree(line).get("host").asText()).isEqualTo("evil\"\n\u0001host");
  }

  @Test
  void writesEveryQueuedLineToTheFileBeforeClosing(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("logs/access.log");
    AccessLog log = AccessLog.open(AccessLog.Format.JSON, file);
    for (int i = 0; i < 1000; i++) {
      log.record(record("h" + i + ".example.com", Decision.REFUSED, Reason.NOT_ALLOWED));
    }
    log.close();
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).hasSize(1000);
    assertThat(lines.get(999)).contains("h999.example.com");
    assertThat(log.dropped()).isZero();
  }

  @Test
  void textFormatIsOneReadableLine() {
    String line = AccessLog.text(record("grafana.example.com", Decision.FORWARDED, null));
    assertThat(line)
        .contains("id=0123456789abcdef", "host=grafana.example.com", "decision=forwarded", "reason=-", "durationMs=1234");
  }

  @Test
  void textFormatEscapesControlSpaceAndNonAsciiSoAHostCannotForgeLinesOrFields() {
    String hostile = "a.example\r\n2026-01-01T00:00:00Z id=forged decision=forwarded\u0000 \u00e9\\";
    String line = AccessLog.text(record(hostile, Decision.REFUSED, Reason.INVALID_HOST));
    assertThat(line).doesNotContain("\n", "\r", "\u0000", "\u00e9", " id=forged");
    assertThat(line).matches("\\p{ASCII}*");
    assertThat(line)
        .contains("host=a.example\\r\\n2026-01-01T00:00:00Z\\x20id=forged\\x20decision=forwarded\\x00\\x20\\xe9\\\\ ");
    // One field per key: the forged ones are inside the escaped host value.
    assertThat(line.split(" ")).filteredOn(f -> f.startsWith("decision=")).containsExactly("decision=refused");
  }

  @Test
  void jsonFormatIsPureAsciiAndStillValidForAnyHost() throws Exception {
    String hostile = "\u00e9\u2028\u007f\ud800x\"\\";
    String line = AccessLog.json(record(hostile, Decision.REFUSED, Reason.INVALID_HOST));
    assertThat(line).matches("[\\x20-\\x7e]*");
    assertThat(new ObjectMapper().readTree(line).get("host").asText()).isEqualTo(hostile);
  }
}
