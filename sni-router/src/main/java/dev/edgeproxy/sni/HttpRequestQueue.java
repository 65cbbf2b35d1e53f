package dev.edgeproxy.sni;

import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * Requests (and their content) read while the previous exchange is not over, in order, owned here
 * until taken or released, their bytes counted in the connection's {@link HttpMemory}.
 */
final class HttpRequestQueue {
  /**
   * Requests read ahead of the one being handled. Reading pauses as soon as one waits, but one read
   * can hold hundreds of small pipelined requests: past this many, the rest of the input is
   * dropped and the connection closes once the queued ones are answered (a client must be ready to
   * resend pipelined requests on a new connection).
   */
  static final int MAX_QUEUED_REQUESTS = 16;

  private record Held(HttpObject message, long bytes) {}

  private final ArrayDeque<Held> queue = new ArrayDeque<>();
  private final HttpMemory memory;
  private int requests;
  /** More requests were pipelined than {@link #MAX_QUEUED_REQUESTS}: input is dropped from here. */
  private boolean overflowed;

  HttpRequestQueue(HttpMemory memory) {
    this.memory = memory;
  }

  /** Queues {@code message}, or releases it and marks the overflow when the queue is full. */
  void add(HttpObject message) {
    if (message instanceof HttpRequest) {
      if (requests == MAX_QUEUED_REQUESTS) {
        overflowed = true;
        ReferenceCountUtil.release(message);
        return;
      }
      requests++;
    }
    long bytes = HttpMemory.sizeOf(message);
    memory.hold(bytes);
    queue.add(new Held(message, bytes));
  }

  boolean overflowed() {
    return overflowed;
  }

  boolean isEmpty() {
    return queue.isEmpty();
  }

  /** Whether the next message starts a request (rather than continuing one). */
  boolean nextIsHead() {
    Held next = queue.peek();
    return next != null && next.message() instanceof HttpRequest;
  }

  /** Takes the next message; the caller owns it. */
  HttpObject take() {
    Held next = queue.poll();
    if (next == null) {
      return null;
    }
    if (next.message() instanceof HttpRequest) {
      requests--;
    }
    memory.free(next.bytes());
    return next.message();
  }

  /** Releases everything still queued. */
  void releaseAll() {
    HttpObject held;
    while ((held = take()) != null) {
      ReferenceCountUtil.release(held);
    }
  }
}
