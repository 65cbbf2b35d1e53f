package dev.edgeproxy.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/** The leak check fails a test that leaks, and only that one. */
class LeakDetectionExtensionTest {
  /** Set only by the test kit run below, so the fixture never runs (and fails) on its own. */
  static final String FIXTURE_PARAMETER = "dev.edgeproxy.testing.runFixtures";

  @Test
  void aHandlerThatDropsItsBufferFailsItsTest() {
    EngineExecutionResults results =
        EngineTestKit.engine("junit-jupiter")
            .configurationParameter("junit.jupiter.extensions.autodetection.enabled", "true")
            .configurationParameter(FIXTURE_PARAMETER, "true")
            .selectors(selectClass(HandlersFixture.class))
            .execute();

    results.testEvents().assertStatistics(stats -> stats.started(2).succeeded(1).failed(1));
    List<Event> failed = results.testEvents().failed().list();
    assertThat(failed).singleElement().satisfies(event -> {
      assertThat(event.getTestDescriptor().getDisplayName()).isEqualTo("leakingHandler()");
      Throwable cause = event.getPayload(org.junit.platform.engine.TestExecutionResult.class)
          .flatMap(org.junit.platform.engine.TestExecutionResult::getThrowable)
          .orElseThrow();
      assertThat(cause).isInstanceOf(AssertionError.class);
      // the report names the leak and the handler that touched the buffer last
      assertThat(cause.getMessage()).contains("LEAK: ByteBuf.release() was not called")
          .contains("DroppingHandler");
    });
  }

  /**
   * Run only through the test kit above: one handler drops the buffers it reads, one releases them.
   * The buffers come from the default allocator, as a channel's do (Netty tracks pooled and direct
   * buffers).
   */
  @ExtendWith(OnlyInTheTestKit.class)
  static class HandlersFixture {
    @Test
    void leakingHandler() {
      EmbeddedChannel channel = new EmbeddedChannel(new DroppingHandler());
      channel.writeInbound(ByteBufAllocator.DEFAULT.buffer().writeBytes(new byte[] {1, 2, 3}));
      channel.finishAndReleaseAll();
    }

    @Test
    void releasingHandler() {
      EmbeddedChannel channel = new EmbeddedChannel(new ReleasingHandler());
      channel.writeInbound(ByteBufAllocator.DEFAULT.buffer().writeBytes(new byte[] {1, 2, 3}));
      channel.finishAndReleaseAll();
    }
  }

  static final class OnlyInTheTestKit implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      return context.getConfigurationParameter(FIXTURE_PARAMETER).isPresent()
          ? ConditionEvaluationResult.enabled("run by LeakDetectionExtensionTest")
          : ConditionEvaluationResult.disabled("a fixture of LeakDetectionExtensionTest");
    }
  }

  /** Reads a buffer and forgets it: the bug the extension exists for. */
  static final class DroppingHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ((ByteBuf) msg).readByte();
    }
  }

  static final class ReleasingHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ((ByteBuf) msg).release();
    }
  }
}
