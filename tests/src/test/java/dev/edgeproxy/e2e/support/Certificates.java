package dev.edgeproxy.e2e.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throw-away CA and one server certificate for every backend, made once per JVM with the openssl CLI.
 * The backends terminate TLS with it; the proxy never sees it (it only peeks the ClientHello).
 */
public final class Certificates {

  /** Names the server certificate covers; every host a test connects to must be under one of them. */
  public static final List<String> SUBJECT_ALT_NAMES = List.of(
      "DNS:example.test", "DNS:*.example.test", "DNS:*.apps.example.test", "DNS:localhost",
      "IP:127.0.0.1", "IP:::1");

  private static Certificates instance;

  private final Path caCert;
  private final Path serverCert;
  private final Path serverKey;
  private final Path serverPem;
  private final TrustManager[] trustManagers;

  private Certificates(Path dir) {
    this.caCert = dir.resolve("ca.crt");
    this.serverCert = dir.resolve("server.crt");
    this.serverKey = dir.resolve("server.key");
    this.serverPem = dir.resolve("server.pem");
    generate(dir);
    this.trustManagers = trusting(caCert);
  }

  /** The per-JVM instance, generated on first use. */
  public static synchronized Certificates get() {
    Tools.require("openssl");
    if (instance == null) {
      try {
        Path dir = Files.createTempDirectory("e2e-certs");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
        instance = new Certificates(dir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return instance;
  }

  public Path caCert() {
    return caCert;
  }

  public Path serverCert() {
    return serverCert;
  }

  public Path serverKey() {
    return serverKey;
  }

  /** Certificate followed by its key, the form HAProxy's {@code crt} wants. */
  public Path serverPem() {
    return serverPem;
  }

  /**
   * A new client context that trusts only the test CA (so a wrong certificate is a visible failure). New on each
   * call on purpose: a shared context would resume TLS sessions across connections, and a backend then reports
   * the SNI of the resumed session instead of the one this connection sent.
   */
  public SSLContext clientContext() {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trustManagers, null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot create a TLS client context", e);
    }
  }

  private void generate(Path dir) {
    Path caKey = dir.resolve("ca.key");
    Path csr = dir.resolve("server.csr");
    Path ext = dir.resolve("server.ext");
    try {
      Files.writeString(ext, "subjectAltName=" + String.join(",", SUBJECT_ALT_NAMES) + "\n"
          + "basicConstraints=critical,CA:FALSE\n"
          + "keyUsage=critical,digitalSignature,keyEncipherment\n"
          + "extendedKeyUsage=serverAuth\n");
      openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", caKey.toString(), "-out", caCert.toString(), "-days", "3", "-subj", "/CN=edge-proxy e2e CA",
          "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
      openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
          "-keyout", serverKey.toString(), "-out", csr.toString(), "-subj", "/CN=example.test");
      openssl("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", caKey.toString(),
          "-CAcreateserial", "-out", serverCert.toString(), "-days", "3", "-extfile", ext.toString());
      Files.writeString(serverPem, Files.readString(serverCert) + Files.readString(serverKey));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void openssl(String... args) {
    List<String> command = Stream.concat(Stream.of(Tools.path("openssl")), Stream.of(args)).toList();
    Exec.Result result = Exec.run(command, Duration.ofSeconds(60));
    if (result.exitCode() != 0) {
      throw new IllegalStateException("certificate generation failed: " + result.describe());
    }
  }

  private static TrustManager[] trusting(Path caPem) {
    try (InputStream in = Files.newInputStream(caPem)) {
      X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      trust.setCertificateEntry("e2e-ca", ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      return tmf.getTrustManagers();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot build a trust store from " + caPem, e);
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // best effort at JVM exit: a leftover temp dir is harmless
    }
  }
}
