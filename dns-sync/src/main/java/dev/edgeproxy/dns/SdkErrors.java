package dev.edgeproxy.dns;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkException;

/** SDK failures told for operators: status, error code, cause; never a secret. */
final class SdkErrors {
  private SdkErrors() {}

  /** An operator-facing account of an SDK failure: status, error code, cause; never a secret. */
  static String describe(SdkException e, Route53SourceSettings settings) {
    StringBuilder text = new StringBuilder();
    if (e instanceof AwsServiceException service) {
      text.append("HTTP ").append(service.statusCode());
      AwsErrorDetails details = service.awsErrorDetails();
      if (details != null && details.errorCode() != null) {
        text.append(' ').append(details.errorCode());
      }
      if (details != null && details.errorMessage() != null) {
        text.append(": ").append(details.errorMessage());
      }
      if (service.requestId() != null) {
        text.append(" (request id ").append(service.requestId()).append(')');
      }
    } else if (cause(e, CappedHttpClient.ResponseTooLargeException.class) != null) {
      text.append(cause(e, CappedHttpClient.ResponseTooLargeException.class).getMessage());
    } else if (e instanceof ApiCallTimeoutException) {
      text.append("no complete answer within the timeout of ")
          .append(settings.apiCallTimeout().toMillis())
          .append(" ms (allowlist.route53.timeout)");
    } else if (e instanceof ApiCallAttemptTimeoutException) {
      text.append("an attempt timed out");
    } else {
      Throwable io = ioCause(e);
      if (io instanceof ConnectException) {
        text.append("cannot connect to ")
            .append(endpointText(settings))
            .append(": ")
            .append(io.getMessage());
      } else if (io instanceof UnknownHostException) {
        text.append("cannot resolve ").append(io.getMessage());
      } else if (io instanceof SocketTimeoutException) {
        text.append("no answer from ").append(endpointText(settings)).append(": ").append(io.getMessage());
      } else if (io != null) {
        text.append(io.getClass().getSimpleName()).append(": ").append(io.getMessage());
      } else {
        text.append(e.getMessage());
      }
    }
    Integer attempts = e.numAttempts();
    if (attempts != null && attempts > 1) {
      text.append(", after ").append(attempts).append(" attempts");
    }
    return text.toString();
  }

  private static String endpointText(Route53SourceSettings settings) {
    return settings.endpoint().map(Object::toString).orElse("the Route53 API");
  }

  private static Throwable cause(Throwable e, Class<? extends Throwable> type) {
    Throwable t = e;
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      if (type.isInstance(t)) {
        return t;
      }
    }
    return null;
  }

  private static Throwable ioCause(Throwable e) {
    Throwable t = e;
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      if (t instanceof IOException) {
        return t;
      }
    }
    return null;
  }
}
