package dev.edgeproxy.e2e.support;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The curl and openssl s_client command lines the tests run, as a user would type them. */
public final class CliClients {

  /** What curl prints after the body: a marker line with the status and the local port (for the access log). */
  private static final String TRAILER = "\n@@curl %{http_code} %{local_port}";

  /** curl's answer: body, status and the local port of the connection. */
  public record CurlReply(Exec.Result result, String body, int status, int localPort) {}

  private CliClients() {}

  /** {@code curl --resolve host:port:address --cacert CA https://host:port/path}. */
  public static CurlReply curl(String host, int port, String address, String path) {
    Tools.require("curl");
    String resolveAddress = address.contains(":") ? "[" + address + "]" : address;
    List<String> command = List.of(Tools.path("curl"), "-sS", "--max-time", "30",
        "--cacert", Certificates.get().caCert().toString(),
        "--resolve", host + ":" + port + ":" + resolveAddress,
        "-w", TRAILER, "https://" + host + ":" + port + path);
    Exec.Result result = Exec.run(command, Duration.ofSeconds(60));
    String out = result.stdout();
    int marker = out.lastIndexOf("\n@@curl ");
    if (marker < 0) {
      return new CurlReply(result, out, 0, 0);
    }
    String[] trailer = out.substring(marker + "\n@@curl ".length()).trim().split(" ");
    return new CurlReply(result, out.substring(0, marker), Integer.parseInt(trailer[0]), Integer.parseInt(trailer[1]));
  }

  /**
   * curl fetching {@code path} via 127.0.0.1 into /dev/null; the reply's body is the average rate in MB/s
   * (curl's {@code speed_download}, bytes per second, divided by 10^6) and its status must be 200 with every byte.
   */
  public static CurlReply curlDownload(String host, int port, String path) {
    Tools.require("curl");
    List<String> command = List.of(Tools.path("curl"), "-sS", "--max-time", "120",
        "--cacert", Certificates.get().caCert().toString(),
        "--resolve", host + ":" + port + ":127.0.0.1", "-o", "/dev/null",
        "-w", "%{speed_download} %{size_download}" + TRAILER, "https://" + host + ":" + port + path);
    Exec.Result result = Exec.run(command, Duration.ofSeconds(180));
    String out = result.stdout();
    int marker = out.lastIndexOf("\n@@curl ");
    if (marker < 0) {
      return new CurlReply(result, out, 0, 0);
    }
    String[] rate = out.substring(0, marker).trim().split(" ");
    String[] trailer = out.substring(marker + "\n@@curl ".length()).trim().split(" ");
    int status = Long.parseLong(rate[1]) == LargeFile.SIZE ? Integer.parseInt(trailer[0]) : -1;
    String megabytesPerSecond = String.format(java.util.Locale.ROOT, "%.1f", Double.parseDouble(rate[0]) / 1e6);
    return new CurlReply(result, megabytesPerSecond, status, Integer.parseInt(trailer[1]));
  }

  /**
   * {@code openssl s_client -connect address:port [-servername sni | -noservername]} sending one HTTP request
   * (Connection: close) on stdin.
   */
  public static Exec.Result opensslGet(String address, int port, String sni, String path) {
    Tools.require("openssl");
    List<String> command = new ArrayList<>(List.of(Tools.path("openssl"), "s_client",
        "-connect", (address.contains(":") ? "[" + address + "]" : address) + ":" + port,
        "-CAfile", Certificates.get().caCert().toString(), "-verify_return_error", "-ign_eof"));
    if (sni == null) {
      command.add("-noservername");
    } else {
      command.addAll(List.of("-servername", sni, "-verify_hostname", sni));
    }
    String host = sni == null ? address : sni;
    String request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n";
    return Exec.run(command, request, Duration.ofSeconds(60));
  }
}
