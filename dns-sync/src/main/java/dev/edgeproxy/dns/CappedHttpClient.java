package dev.edgeproxy.dns;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import software.amazon.awssdk.http.AbortableInputStream;
import software.amazon.awssdk.http.ExecutableHttpRequest;
import software.amazon.awssdk.http.HttpExecuteRequest;
import software.amazon.awssdk.http.HttpExecuteResponse;
import software.amazon.awssdk.http.SdkHttpClient;

/**
 * The SDK's HTTP client with a cap on the bytes of each answer: a body announced or found to be
 * larger fails the call with {@link ResponseTooLargeException} before it can fill the heap.
 */
final class CappedHttpClient implements SdkHttpClient {
  private final SdkHttpClient delegate;
  private final long maxBytes;

  CappedHttpClient(SdkHttpClient delegate, long maxBytes) {
    this.delegate = delegate;
    this.maxBytes = maxBytes;
  }

  /**
   * An answer larger than the cap. Unchecked so that the SDK's XML reader passes it on unchanged
   * (it would bury an IOException) and the SDK does not retry it as a network error.
   */
  static final class ResponseTooLargeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ResponseTooLargeException(long maxBytes) {
      super("the answer is larger than " + maxBytes + " bytes (the bound on one API answer)");
    }
  }

  @Override
  public ExecutableHttpRequest prepareRequest(HttpExecuteRequest request) {
    ExecutableHttpRequest call = delegate.prepareRequest(request);
    return new ExecutableHttpRequest() {
      @Override
      public HttpExecuteResponse call() throws IOException {
        HttpExecuteResponse response = call.call();
        long announced =
            response
                .httpResponse()
                .firstMatchingHeader("Content-Length")
                .map(CappedHttpClient::parseLength)
                .orElse(-1L);
        if (announced > maxBytes) {
          response.responseBody().ifPresent(AbortableInputStream::abort);
          throw new ResponseTooLargeException(maxBytes);
        }
        if (response.responseBody().isEmpty()) {
          return response;
        }
        AbortableInputStream body = response.responseBody().get();
        return HttpExecuteResponse.builder()
            .response(response.httpResponse())
            .responseBody(AbortableInputStream.create(new Capped(body), body))
            .build();
      }

      @Override
      public void abort() {
        call.abort();
      }
    };
  }

  private static long parseLength(String value) {
    try {
      return Long.parseLong(value.strip());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  @Override
  public String clientName() {
    return delegate.clientName();
  }

  @Override
  public void close() {
    delegate.close();
  }

  private final class Capped extends FilterInputStream {
    private long count;

    Capped(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        counted(1);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        counted(n);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = in.skip(n);
      counted(skipped);
      return skipped;
    }

    private void counted(long n) {
      count += n;
      if (count > maxBytes) {
        throw new ResponseTooLargeException(maxBytes);
      }
    }
  }
}
