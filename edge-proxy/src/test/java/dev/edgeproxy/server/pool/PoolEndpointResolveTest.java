package dev.edgeproxy.server.pool;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.edgeproxy.sni.ProxyHeaderSpec;
import dev.edgeproxy.sni.Upstream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** An endpoint's host name that stops resolving, never resolves, or moves: what is used and said. */
class PoolEndpointResolveTest {

  /** A resolver whose answer for the one name the test uses is set by the test (null: does not resolve). */
  static final class ScriptedLookup implements NameLookup {
    volatile InetAddress answer;
    int calls;

    @Override
    public InetAddress lookup(String host) throws UnknownHostException {
      calls++;
      InetAddress a = answer;
      if (a == null) {
        throw new UnknownHostException(host + ": Name or service not known");
      }
      return InetAddress.getByAddress(host, a.getAddress());
    }
  }

  private final ScriptedLookup dns = new ScriptedLookup();
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(PoolEndpoint.class);
  private Level levelBefore;

  @BeforeEach
  void captureLogs() {
    levelBefore = logger.getLevel();
    logger.setLevel(Level.INFO); // recoveries are logged at INFO; the test config may hide them
    logs.start();
    logger.addAppender(logs);
  }

  @AfterEach
  void releaseLogs() {
    logger.detachAppender(logs);
    logger.setLevel(levelBefore);
  }

  private PoolEndpoint endpoint() {
    return new PoolEndpoint("web", "backend.fault.test", 8443, 3, 1, dns);
  }

  private static BackendPool pool(PoolEndpoint... endpoints) {
    return new BackendPool(
        "web",
        List.of(endpoints),
        List.of(),
        ProxyHeaderSpec.NONE,
        BackendPool.Balance.ROUND_ROBIN,
        Duration.ofSeconds(1));
  }

  private static InetAddress ip(String literal) throws UnknownHostException {
    return InetAddress.getByName(literal);
  }

  private List<String> warnings() {
    return logs.list.stream()
        .filter(e -> e.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  @Test
  void aNameThatStopsResolvingKeepsItsLastAddressAndSaysSoUntilItResolvesAgain() throws Exception {
    PoolEndpoint e = endpoint();
    BackendPool pool = pool(e);
    dns.answer = ip("127.0.0.1");
    e.resolve();
    assertThat(e.resolvedAddress()).contains("127.0.0.1");
    assertThat(e.resolveFailure()).isEmpty();

    dns.answer = null;
    e.resolve();
    ResolveFailure first = e.resolveFailure().orElseThrow();
    assertThat(first.error()).contains("backend.fault.test").contains("not known");
    assertThat(first.attempts()).isEqualTo(1);
    e.resolve();
    e.resolve();
    ResolveFailure third = e.resolveFailure().orElseThrow();
    assertThat(third.attempts()).isEqualTo(3);
    assertThat(third.since()).as("since the first failed attempt").isEqualTo(first.since());
    assertThat(e.resolveFailures()).isEqualTo(3);
    // still serving from the last address, and still healthy as far as connects go
    assertThat(e.resolvedAddress()).contains("127.0.0.1");
    assertThat(e.address()).isEqualTo(new InetSocketAddress(ip("127.0.0.1"), 8443));
    assertThat(e.healthy()).isTrue();
    assertThat(pool.tlsCandidates()).extracting(Upstream::label).containsExactly("backend.fault.test:8443");
    assertThat(warnings()).as("one warning for the change, not one per attempt").hasSize(1);
    assertThat(warnings().get(0)).contains("keeping its last address 127.0.0.1");

    // the name comes back, pointing elsewhere: followed, the failure cleared, the counter kept
    dns.answer = ip("127.0.0.2");
    e.resolve();
    assertThat(e.resolveFailure()).isEmpty();
    assertThat(e.resolvedAddress()).contains("127.0.0.2");
    assertThat(((InetSocketAddress) e.address()).getAddress()).isEqualTo(ip("127.0.0.2"));
    assertThat(e.resolveFailures()).as("a counter: never goes down").isEqualTo(3);
    assertThat(logs.list)
        .map(ILoggingEvent::getFormattedMessage)
        .anyMatch(m -> m.contains("resolves again, to 127.0.0.2, after 3 failed attempt(s)"));
  }

  @Test
  void aNameThatNeverResolvedIsNotHandedOutAndCountsAsUnhealthyUntilItDoes() throws Exception {
    PoolEndpoint e = endpoint();
    BackendPool pool = pool(e);
    e.resolve();
    e.resolve();
    assertThat(e.resolvedAddress()).isEmpty();
    assertThat(e.resolveFailure().orElseThrow().attempts()).isEqualTo(2);
    assertThat(e.healthy()).as("nothing to connect to").isFalse();
    assertThat(pool.hasHealthyEndpoint()).isFalse();
    assertThat(pool.tlsCandidates()).isEmpty();
    assertThat(warnings()).hasSize(1);
    assertThat(warnings().get(0)).contains("out of rotation until it resolves");

    dns.answer = ip("127.0.0.3");
    e.resolve();
    assertThat(e.healthy()).isTrue();
    assertThat(pool.hasHealthyEndpoint()).isTrue();
    assertThat(pool.tlsCandidates()).hasSize(1);
    assertThat(e.resolveFailure()).isEmpty();
  }

  @Test
  void anIpLiteralNeedsNoResolverAndIsUsableBeforeAnyResolve() throws Exception {
    PoolEndpoint v4 = new PoolEndpoint("web", "192.0.2.7", 443, 3, 1, dns);
    PoolEndpoint v6 = new PoolEndpoint("web", "2001:db8::7", 443, 3, 1, dns);
    assertThat(v4.resolvedAddress()).contains("192.0.2.7");
    assertThat(v6.address()).isEqualTo(new InetSocketAddress(ip("2001:db8::7"), 443));
    assertThat(v4.healthy()).isTrue();
    assertThat(pool(v4, v6).tlsCandidates()).hasSize(2);
    assertThat(dns.calls).isZero();
  }
}
