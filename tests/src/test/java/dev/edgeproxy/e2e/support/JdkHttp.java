package dev.edgeproxy.e2e.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;

/**
 * The JDK's own HttpClient against a loopback address with a chosen SNI. HttpClient sends no SNI of its own for an
 * IP-literal URI, so the name from {@link SSLParameters#setServerNames} is the one that goes out; the certificate
 * is checked for the IP (it carries IP SANs for 127.0.0.1 and ::1).
 */
public final class JdkHttp {

  private JdkHttp() {}

  public static HttpResponse<String> get(String address, int port, String sni, String path)
      throws IOException, InterruptedException {
    SSLParameters parameters = new SSLParameters();
    parameters.setServerNames(List.of(new SNIHostName(sni)));
    HttpClient client = HttpClient.newBuilder()
        .sslContext(Certificates.get().clientContext())
        .sslParameters(parameters)
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
    String host = address.contains(":") ? "[" + address + "]" : address;
    HttpRequest request = HttpRequest.newBuilder(URI.create("https://" + host + ":" + port + path))
        .timeout(Duration.ofSeconds(20))
        .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
