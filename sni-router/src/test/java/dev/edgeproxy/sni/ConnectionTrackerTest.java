package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The one record per connection: which outcome wins, and the names the access log shows. */
class ConnectionTrackerTest {
  final RecordingEvents events = new RecordingEvents();

  static RouteDecision.Forward forward(Reason wouldRefuse) {
    return new RouteDecision.Forward(
        "pool", List.of(), Duration.ofSeconds(1), ProxyHeaderSpec.NONE, "h.example.com", wouldRefuse);
  }

  /** The record of a connection tagged by {@code steps}, then closed. */
  ConnectionRecord after(Consumer<ConnectionTracker> steps) {
    EmbeddedChannel channel = new EmbeddedChannel();
    ConnectionTracker tracker = ConnectionTracker.accept(channel, "id", "tls", events);
    tracker.open();
    steps.accept(tracker);
    channel.close();
    channel.runPendingTasks();
    ConnectionRecord record = events.closed.poll();
    assertThat(record).isNotNull();
    return record;
  }

  @Test
  void wireNamesAreTheAccessLogAndMetricValues() {
    // Renaming one breaks dashboards and log queries: change this list only on purpose.
    assertThat(Arrays.stream(Decision.values()).map(Decision::wireName))
        .containsExactly("forwarded", "would_refuse", "refused", "error", "redirected");
    assertThat(Arrays.stream(Reason.values()).map(Reason::wireName))
        .containsExactlyInAnyOrder(
            "not_allowed", "denied", "no_sni", "invalid_host", "no_backend", "not_tls", "malformed",
            "too_large", "timeout", "limit", "memory_budget", "memory_shed", "untrusted_proxy",
            "bad_proxy_header", "no_host", "bad_request", "misdirected", "pipeline_limit",
            "backend_closed", "backend_error", "resolver_error", "proxy_header", "client_closed",
            "io_error", "idle_timeout", "half_closed_timeout", "drain", "revoked");
  }

  @Test
  void closedBeforeAnyOutcomeIsAnErrorByTheClient() {
    ConnectionRecord r = after(t -> {});
    assertThat(r.decision()).isEqualTo(Decision.ERROR);
    assertThat(r.reason()).isEqualTo(Reason.CLIENT_CLOSED);
  }

  @Test
  void theFirstRefusalWins() {
    ConnectionRecord r = after(t -> {
      t.refuse(Reason.TIMEOUT, null);
      t.refuse(Reason.NOT_ALLOWED, "x.example.com");
      t.fail(Reason.IO_ERROR);
      t.forwarding(forward(null));
    });
    assertThat(r.decision()).isEqualTo(Decision.REFUSED);
    assertThat(r.reason()).isEqualTo(Reason.TIMEOUT);
    assertThat(r.host()).isNull();
  }

  @Test
  void aForwardThatNeverConnectedBecomesTheError() {
    ConnectionRecord r = after(t -> {
      t.forwarding(forward(null));
      t.fail(Reason.NO_BACKEND);
    });
    assertThat(r.decision()).isEqualTo(Decision.ERROR);
    assertThat(r.reason()).isEqualTo(Reason.NO_BACKEND);
    assertThat(r.pool()).isEqualTo("pool");
  }

  @Test
  void aConnectedForwardStaysForwardedAndKeepsTheFirstCloseReason() {
    ConnectionRecord r = after(t -> {
      t.forwarding(forward(null));
      t.connectedTo("10.0.0.1:443");
      t.fail(Reason.IO_ERROR);
      t.refuse(Reason.LIMIT, null);
      t.closeReason(Reason.REVOKED);
      t.closeReason(Reason.DRAIN);
    });
    assertThat(r.decision()).isEqualTo(Decision.FORWARDED);
    assertThat(r.reason()).isEqualTo(Reason.REVOKED);
    assertThat(r.endpoint()).isEqualTo("10.0.0.1:443");
  }

  @Test
  void wouldRefuseKeepsItsRefusalReasonWhenCut() {
    ConnectionRecord r = after(t -> {
      t.forwarding(forward(Reason.NOT_ALLOWED));
      t.connectedTo("10.0.0.1:443");
      t.closeReason(Reason.IDLE_TIMEOUT);
    });
    assertThat(r.decision()).isEqualTo(Decision.WOULD_REFUSE);
    assertThat(r.reason()).isEqualTo(Reason.NOT_ALLOWED);
  }

  @Test
  void aRedirectGivesWayToWhatALaterRequestGets() {
    assertThat(after(t -> {
      t.redirected("a.example.com");
      t.forwarding(forward(null));
    }).decision()).isEqualTo(Decision.FORWARDED);
    ConnectionRecord refused = after(t -> {
      t.redirected("a.example.com");
      t.redirected("b.example.com");
      t.refuse(Reason.MISDIRECTED, "c.example.com");
    });
    assertThat(refused.decision()).isEqualTo(Decision.REFUSED);
    assertThat(refused.reason()).isEqualTo(Reason.MISDIRECTED);
    ConnectionRecord cut = after(t -> {
      t.redirected("a.example.com");
      t.closeReason(Reason.TIMEOUT);
    });
    assertThat(cut.decision()).isEqualTo(Decision.REDIRECTED);
    assertThat(cut.reason()).isEqualTo(Reason.TIMEOUT);
  }
}
