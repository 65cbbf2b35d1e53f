package dev.edgeproxy.server.admin;

import dev.edgeproxy.config.AdminListenerConfig;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First handler of every admin connection: caps how many are open at once ({@code
 * listeners.admin.maxConnections}), and how many of them come from outside {@code allowFrom}
 * (webhook senders, anyone on the internet when the endpoint is exposed for forges), so that a
 * flood of those never locks operators and monitoring out. A connection over the cap is answered
 * {@code 503} and closed before anything of it is read.
 */
@ChannelHandler.Sharable
final class AdminConnectionLimit extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(AdminConnectionLimit.class);
  private static final AttributeKey<Boolean> OUTSIDE =
      AttributeKey.valueOf(AdminConnectionLimit.class, "outside");
  private static final byte[] BUSY = busyResponse();

  private final AdminListenerConfig config;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger openFromOutside = new AtomicInteger();
  /** Connections refused for being over a cap: the log says so for the first and each thousandth. */
  private final AtomicInteger refused = new AtomicInteger();

  AdminConnectionLimit(AdminListenerConfig config) {
    this.config = config;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
    boolean outside = !config.allows(client);
    boolean overTotal = open.incrementAndGet() > config.maxConnections();
    boolean overOutside = outside && openFromOutside.incrementAndGet() > config.maxConnectionsFromOutside();
    ctx.channel().attr(OUTSIDE).set(outside);
    if (overTotal || overOutside) {
      if (refused.getAndIncrement() % 1000 == 0) { // the first of a burst, then one in a thousand
        log.warn(
            "admin: refused a connection from {}: {} admin connections open ({} from outside allowFrom), "
                + "listeners.admin.maxConnections is {}",
            client.getHostAddress(), open.get(), openFromOutside.get(), config.maxConnections());
      }
      ctx.channel().config().setAutoRead(false);
      ctx.writeAndFlush(Unpooled.wrappedBuffer(BUSY)).addListener(ChannelFutureListener.CLOSE);
      return; // nothing of it goes further; counted until it is closed
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Boolean outside = ctx.channel().attr(OUTSIDE).get();
    if (outside != null) {
      open.decrementAndGet();
      if (outside) {
        openFromOutside.decrementAndGet();
      }
    }
    ctx.fireChannelInactive();
  }

  private static byte[] busyResponse() {
    String body = "{\"error\": \"too many admin connections, retry later\"}\n";
    return ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: " + AdminReply.JSON + "\r\nContent-Length: "
            + body.length() + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body)
        .getBytes(StandardCharsets.US_ASCII);
  }
}
