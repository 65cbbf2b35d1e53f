package dev.edgeproxy.server.admin;

import dev.edgeproxy.server.limits.ConnectionLimits;
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
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * First handler of every connection of a small HTTP listener (admin, health): caps how many are
 * open at once ({@code maxConnections}), and how many of them come from outside {@code allowFrom}
 * (webhook senders, strangers on the internet when the listener is public), so that a flood of
 * those never locks operators, monitoring and health checkers out nor takes the process's
 * descriptors. One outside client (an IPv4 address, an IPv6 /64) holds at most a quarter of the
 * outside slots, so that a single stranger reconnecting in a loop cannot keep a forge's webhook
 * deliveries out. A connection over a cap is answered {@code 503} and closed before anything of it
 * is read.
 */
@ChannelHandler.Sharable
final class ListenerConnectionLimit extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ListenerConnectionLimit.class);
  private static final AttributeKey<Boolean> OUTSIDE =
      AttributeKey.valueOf(ListenerConnectionLimit.class, "outside");
  /** The outside client this connection is counted for, to give back at close. */
  private static final AttributeKey<InetAddress> COUNTED_CLIENT =
      AttributeKey.valueOf(ListenerConnectionLimit.class, "countedClient");
  /** IPv6 outside clients are counted per /64, as the public listeners count them by default. */
  private static final int IPV6_CLIENT_PREFIX = 64;

  private final String listener;
  private final int maxConnections;
  private final int maxFromOutside;
  private final Predicate<InetAddress> allowed;
  private final byte[] busy;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger openFromOutside = new AtomicInteger();
  private final ConnectionLimits perOutsideClient;
  /** Connections refused for being over a cap: the log says so for the first and each thousandth. */
  private final AtomicInteger refused = new AtomicInteger();

  /**
   * @param listener the listener's name in {@code listeners}, for the log
   * @param allowed whether a client is inside {@code allowFrom}
   * @param contentType and {@code body}: the 503 answered over the cap
   */
  ListenerConnectionLimit(
      String listener,
      int maxConnections,
      int maxFromOutside,
      Predicate<InetAddress> allowed,
      String contentType,
      String body) {
    this.listener = listener;
    this.maxConnections = maxConnections;
    this.maxFromOutside = maxFromOutside;
    this.allowed = allowed;
    this.perOutsideClient =
        new ConnectionLimits(Integer.MAX_VALUE, Math.max(1, maxFromOutside / 4), IPV6_CLIENT_PREFIX);
    this.busy =
        ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: " + contentType + "\r\nContent-Length: "
                + body.length() + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body)
            .getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    InetAddress client = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
    boolean outside = !allowed.test(client);
    boolean overTotal = open.incrementAndGet() > maxConnections;
    boolean overOutside = outside && openFromOutside.incrementAndGet() > maxFromOutside;
    ctx.channel().attr(OUTSIDE).set(outside);
    boolean overClient = false;
    if (outside && !overTotal && !overOutside) {
      overClient = !perOutsideClient.tryAcquire(client);
      if (!overClient) {
        ctx.channel().attr(COUNTED_CLIENT).set(client);
      }
    }
    if (overTotal || overOutside || overClient) {
      if (refused.getAndIncrement() % 1000 == 0) { // the first of a burst, then one in a thousand
        log.warn(
            "{}: refused a connection from {}: {} {} connections open ({} from outside allowFrom{}), "
                + "listeners.{}.maxConnections is {}",
            listener, client.getHostAddress(), open.get(), listener, openFromOutside.get(),
            overClient ? ", a quarter of them from this client already" : "", listener, maxConnections);
      }
      ctx.channel().config().setAutoRead(false);
      ctx.writeAndFlush(Unpooled.wrappedBuffer(busy)).addListener(ChannelFutureListener.CLOSE);
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
      InetAddress counted = ctx.channel().attr(COUNTED_CLIENT).get();
      if (counted != null) {
        perOutsideClient.release(counted);
      }
    }
    ctx.fireChannelInactive();
  }
}
