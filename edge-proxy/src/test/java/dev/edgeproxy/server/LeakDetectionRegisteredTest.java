package dev.edgeproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.edgeproxy.testing.LeakReports;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

/** This module's tests run under the leak-failing extension (junit-platform.properties autodetection). */
class LeakDetectionRegisteredTest {
  @Test
  void everyTestHereFailsOnALeak() {
    assertThat(LeakReports.installed()).as("LeakDetectionExtension registered").isTrue();
    assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
  }
}
