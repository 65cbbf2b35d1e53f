package dev.edgeproxy.sni;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpStatusClass;

/**
 * Encodes responses to the client. The frontend says when the final response answers a HEAD
 * request, so that a chunked header is not followed by a body terminator; Netty's HttpServerCodec
 * would track this itself but miscounts when 1xx responses or answers of our own come in between.
 */
final class HttpFrontendEncoder extends HttpResponseEncoder {
  private boolean headRequest;

  void headRequest(boolean head) {
    this.headRequest = head;
  }

  @Override
  protected boolean isContentAlwaysEmpty(HttpResponse msg) {
    return (headRequest && msg.status().codeClass() != HttpStatusClass.INFORMATIONAL)
        || super.isContentAlwaysEmpty(msg);
  }
}
