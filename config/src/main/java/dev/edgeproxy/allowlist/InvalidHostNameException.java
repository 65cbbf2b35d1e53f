package dev.edgeproxy.allowlist;

/** A text that is not a valid host name or host pattern; the message says why. */
public final class InvalidHostNameException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public InvalidHostNameException(String input, String reason) {
    super("invalid host name '" + input + "': " + reason);
  }
}
