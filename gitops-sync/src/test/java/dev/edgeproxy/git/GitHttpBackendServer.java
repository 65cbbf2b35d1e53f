package dev.edgeproxy.git;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Smart HTTP for tests: {@code git http-backend} run as a CGI program behind the JDK's HttpServer
 * on 127.0.0.1. Every request must carry the token, as HTTP basic password (any user, the way
 * GitHub, GitLab and Forgejo take tokens) or as {@code Authorization: Bearer <token>}.
 */
final class GitHttpBackendServer implements AutoCloseable {
  private static final String CONTEXT = "/git";

  private final HttpServer server;
  private final ExecutorService executor;
  private final Path projectRoot;
  private final Path home;
  private final String token;
  private final AtomicInteger unauthorized = new AtomicInteger();
  private volatile String lastUser;
  private final List<String> authorizations = new CopyOnWriteArrayList<>();

  private GitHttpBackendServer(Path projectRoot, Path home, String token, InetAddress address)
      throws IOException {
    this.projectRoot = projectRoot;
    this.home = home;
    this.token = token;
    this.server = HttpServer.create(new InetSocketAddress(address, 0), 16);
    this.executor = Executors.newFixedThreadPool(2);
    server.setExecutor(executor);
    server.createContext(CONTEXT, this::handle);
  }

  static GitHttpBackendServer start(Path projectRoot, Path home, String token) throws IOException {
    return start(projectRoot, home, token, InetAddress.getLoopbackAddress());
  }

  /** On another loopback address (127.0.0.2): another host, as far as URLs go. */
  static GitHttpBackendServer start(Path projectRoot, Path home, String token, InetAddress address)
      throws IOException {
    GitHttpBackendServer s = new GitHttpBackendServer(projectRoot, home, token, address);
    s.server.start();
    return s;
  }

  /** {@code http://127.0.0.1:PORT/git/<name>} */
  String url(String repoName) {
    return "http://"
        + server.getAddress().getAddress().getHostAddress()
        + ":"
        + server.getAddress().getPort()
        + CONTEXT
        + "/"
        + repoName;
  }

  /** Requests refused for a missing or wrong token. */
  int unauthorizedCount() {
    return unauthorized.get();
  }

  /** Every Authorization header received, authorised or not. */
  List<String> authorizationHeaders() {
    return List.copyOf(authorizations);
  }

  /** The basic-auth user name of the last authorised request. */
  String lastUser() {
    return lastUser;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      InputStream requestBody = exchange.getRequestBody();
      byte[] body = requestBody.readAllBytes();
      String authorization = exchange.getRequestHeaders().getFirst("Authorization");
      if (authorization != null) {
        authorizations.add(authorization);
      }
      if (!authorised(authorization)) {
        unauthorized.incrementAndGet();
        exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"git\"");
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      ProcessBuilder pb = new ProcessBuilder("git", "http-backend");
      Map<String, String> env = pb.environment();
      GitCli.isolate(env, home);
      String path = exchange.getRequestURI().getRawPath().substring(CONTEXT.length());
      String query = exchange.getRequestURI().getRawQuery();
      env.put("GIT_PROJECT_ROOT", projectRoot.toString());
      env.put("GIT_HTTP_EXPORT_ALL", "1");
      env.put("GATEWAY_INTERFACE", "CGI/1.1");
      env.put("SERVER_PROTOCOL", "HTTP/1.1");
      env.put("REMOTE_ADDR", "127.0.0.1");
      env.put("REMOTE_USER", lastUser == null ? "test" : lastUser);
      env.put("REQUEST_METHOD", exchange.getRequestMethod());
      env.put("PATH_INFO", path);
      env.put("QUERY_STRING", query == null ? "" : query);
      env.put("CONTENT_LENGTH", Integer.toString(body.length));
      putHeader(env, "CONTENT_TYPE", exchange.getRequestHeaders().getFirst("Content-Type"));
      putHeader(env, "HTTP_GIT_PROTOCOL", exchange.getRequestHeaders().getFirst("Git-Protocol"));
      putHeader(
          env, "HTTP_CONTENT_ENCODING", exchange.getRequestHeaders().getFirst("Content-Encoding"));
      pb.redirectError(ProcessBuilder.Redirect.DISCARD);
      Process p = pb.start();
      // the CGI reads its input while we read its output: write from another thread
      Thread writer =
          new Thread(
              () -> {
                try (OutputStream in = p.getOutputStream()) {
                  in.write(body);
                } catch (IOException ignored) {
                  // the backend may stop reading early on errors; its output says why
                }
              },
              "http-backend-stdin");
      writer.start();
      byte[] out = p.getInputStream().readAllBytes();
      try {
        writer.join(10_000);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
      respond(exchange, out);
    }
  }

  private boolean authorised(String header) {
    if (header == null) {
      return false;
    }
    String given = null;
    if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      given = header.substring(7).strip();
    } else if (header.regionMatches(true, 0, "Basic ", 0, 6)) {
      String decoded;
      try {
        decoded =
            new String(Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException e) {
        return false;
      }
      int colon = decoded.indexOf(':');
      if (colon < 0) {
        return false;
      }
      given = decoded.substring(colon + 1);
      if (given.isEmpty()) {
        given = decoded.substring(0, colon); // the token as user name (GitHub's https://TOKEN@host)
      }
      if (MessageDigest.isEqual(bytes(given), bytes(token))) {
        lastUser = decoded.substring(0, colon);
      }
    }
    return given != null && MessageDigest.isEqual(bytes(given), bytes(token));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void putHeader(Map<String, String> env, String name, String value) {
    if (value != null) {
      env.put(name, value);
    }
  }

  /** Splits CGI output into headers (with {@code Status:}) and body, and sends it. */
  private static void respond(HttpExchange exchange, byte[] out) throws IOException {
    int split = -1;
    int sepLen = 0;
    for (int i = 0; i + 1 < out.length; i++) {
      if (out[i] == '\n' && out[i + 1] == '\n') {
        split = i;
        sepLen = 2;
        break;
      }
      if (i + 3 < out.length
          && out[i] == '\r'
          && out[i + 1] == '\n'
          && out[i + 2] == '\r'
          && out[i + 3] == '\n') {
        split = i;
        sepLen = 4;
        break;
      }
    }
    if (split < 0) {
      exchange.sendResponseHeaders(502, -1);
      return;
    }
    int status = 200;
    String head = new String(out, 0, split, StandardCharsets.ISO_8859_1);
    for (String line : head.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = line.substring(0, colon).strip();
      String value = line.substring(colon + 1).strip();
      if (name.equalsIgnoreCase("Status")) {
        status = Integer.parseInt(value.split(" ", 2)[0]);
      } else {
        exchange.getResponseHeaders().add(name, value);
      }
    }
    ByteArrayOutputStream bodyOut = new ByteArrayOutputStream();
    bodyOut.write(out, split + sepLen, out.length - split - sepLen);
    byte[] body = bodyOut.toByteArray();
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
