package dev.edgeproxy.e2e.support;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * A JDK TLS client connection to an address of our choosing with an SNI of our choosing (like curl's --resolve),
 * speaking just enough HTTP/1.1 for keep-alive requests. It knows its local port, which is the key to its line in
 * the proxy's access log.
 */
public final class TlsConnection implements AutoCloseable {

  /** An HTTP response; the body is kept only when small. */
  public record Reply(int status, Map<String, String> headers, String body) {}

  private final SSLSocket socket;
  private final InputStream in;
  private final OutputStream out;
  private final String hostHeader;

  private TlsConnection(SSLSocket socket, String hostHeader) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.hostHeader = hostHeader;
  }

  /**
   * Connects to {@code address}, sends {@code sni} (none when null) and completes the handshake, verifying the
   * certificate against the test CA for {@code sni} (or the address when there is no SNI).
   *
   * @throws javax.net.ssl.SSLHandshakeException with "unrecognized_name" when the proxy refuses the name
   */
  public static TlsConnection open(InetSocketAddress address, String sni) throws IOException {
    return open(address, sni, 20_000);
  }

  /** {@link #open(InetSocketAddress, String)} with a read timeout of our choosing (handshake and reads). */
  public static TlsConnection open(InetSocketAddress address, String sni, int readTimeoutMillis) throws IOException {
    SSLContext context = Certificates.get().clientContext();
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket();
    try {
      socket.setSoTimeout(readTimeoutMillis);
      socket.connect(address, 5_000);
      SSLParameters parameters = socket.getSSLParameters();
      // explicit: an empty list means no server_name extension at all
      parameters.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      String host = sni != null ? sni : address.getHostString();
      return new TlsConnection(socket, host.contains(":") ? "[" + host + "]" : host);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * Completes a handshake with {@code sni} over {@code raw}, a socket already connected (and on which
   * the caller may already have written, e.g. a PROXY header), verifying the certificate as {@link #open} does.
   */
  public static TlsConnection over(Socket raw, String sni) throws IOException {
    SSLSocket socket = (SSLSocket) Certificates.get().clientContext().getSocketFactory()
        .createSocket(raw, sni, raw.getPort(), true);
    try {
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setServerNames(List.of(new SNIHostName(sni)));
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      return new TlsConnection(socket, sni);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** A handshake that did not complete: the client's local port and what the JDK reported. */
  public record FailedHandshake(int localPort, IOException error) {}

  /**
   * Attempts a handshake expected to fail, keeping the local port (for the access log).
   *
   * @throws AssertionError if the handshake succeeds
   */
  public static FailedHandshake failedHandshake(InetSocketAddress address, String sni) throws IOException {
    try (Socket raw = new Socket()) {
      raw.setSoTimeout(20_000);
      raw.connect(address, 5_000);
      int localPort = raw.getLocalPort();
      SSLSocket socket = (SSLSocket) Certificates.get().clientContext().getSocketFactory()
          .createSocket(raw, address.getHostString(), address.getPort(), true);
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setServerNames(sni == null ? List.of() : List.of(new SNIHostName(sni)));
      socket.setSSLParameters(parameters);
      try (socket) {
        socket.startHandshake();
      } catch (IOException e) {
        return new FailedHandshake(localPort, e);
      }
      throw new AssertionError("the TLS handshake with SNI " + sni + " via " + address + " succeeded");
    }
  }

  public static InetSocketAddress loopback(int port) {
    return new InetSocketAddress("127.0.0.1", port);
  }

  public static InetSocketAddress loopbackV6(int port) {
    return new InetSocketAddress("::1", port);
  }

  /** One-shot: open, GET {@code path}, close. */
  public static Reply get(InetSocketAddress address, String sni, String path) throws IOException {
    try (TlsConnection connection = open(address, sni)) {
      return connection.get(path);
    }
  }

  public int localPort() {
    return socket.getLocalPort();
  }

  /** GET on the kept-alive connection. */
  public Reply get(String path) throws IOException {
    sendGet(path);
    Map<String, String> headers = new LinkedHashMap<>();
    int status = readHead(headers);
    long length = Long.parseLong(headers.getOrDefault("content-length", "-1"));
    if (length < 0 || length > 1 << 20) {
      throw new IOException("unexpected Content-Length for a small reply: " + headers);
    }
    byte[] body = in.readNBytes((int) length);
    if (body.length != length) {
      throw new EOFException("body ended after " + body.length + " of " + length + " bytes");
    }
    return new Reply(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  /** Called after each read of a download with the body bytes received so far (may sleep to throttle the read). */
  public interface Progress {
    void received(long total) throws IOException;
  }

  /** GET that streams the body into {@code digest}; returns the number of body bytes. */
  public long download(String path, MessageDigest digest) throws IOException {
    return download(path, digest, 1 << 16, total -> {});
  }

  /**
   * GET that streams the body into {@code digest}, telling {@code progress} after each read of at most
   * {@code chunk} bytes; returns the number of body bytes.
   *
   * @throws EOFException when the connection ends before Content-Length bytes
   */
  public long download(String path, MessageDigest digest, int chunk, Progress progress) throws IOException {
    sendGet(path);
    Map<String, String> headers = new LinkedHashMap<>();
    int status = readHead(headers);
    if (status != 200) {
      throw new IOException("status " + status + " for " + path + ": " + headers);
    }
    long length = Long.parseLong(headers.getOrDefault("content-length", "-1"));
    byte[] buffer = new byte[chunk];
    long total = 0;
    while (total < length) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, length - total));
      if (n < 0) {
        throw new EOFException("download ended after " + total + " of " + length + " bytes");
      }
      digest.update(buffer, 0, n);
      total += n;
      progress.received(total);
    }
    return total;
  }

  private void sendGet(String path) throws IOException {
    String request = "GET " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\nUser-Agent: edge-proxy-e2e\r\n\r\n";
    out.write(request.getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private int readHead(Map<String, String> headers) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int lastFour = 0;
    while (lastFour != 0x0D0A0D0A) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed in the response head: " + head.toString(StandardCharsets.US_ASCII));
      }
      head.write(b);
      lastFour = (lastFour << 8) | b;
      if (head.size() > 64 * 1024) {
        throw new IOException("response head larger than 64 KiB");
      }
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
    }
    return Integer.parseInt(statusLine[1]);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** A JDK TLS client's first flight for {@code host}: one ClientHello record, for raw-socket clients. */
  public static byte[] clientHello(String host) throws java.security.GeneralSecurityException, IOException {
    javax.net.ssl.SSLEngine engine = SSLContext.getDefault().createSSLEngine(host, 443);
    engine.setUseClientMode(true);
    java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(java.nio.ByteBuffer.allocate(0), out);
    out.flip();
    byte[] bytes = new byte[out.remaining()];
    out.get(bytes);
    return bytes;
  }
}
