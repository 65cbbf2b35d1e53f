package dev.edgeproxy.sni;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

class HttpHostCheckTest {
  static HttpRequest request(String uri, String... hosts) {
    HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    for (String h : hosts) {
      r.headers().add("Host", h);
    }
    return r;
  }

  @Test
  void hostWithoutPort() {
    assertThat(HttpHostCheck.target(request("/", "Example.COM:8080")).host()).isEqualTo("Example.COM");
    assertThat(HttpHostCheck.target(request("/", "example.com")).host()).isEqualTo("example.com");
    assertThat(HttpHostCheck.target(request("/", "example.com:")).host()).isEqualTo("example.com");
    assertThat(HttpHostCheck.target(request("/", "[::1]:80")).host()).isEqualTo("[::1]");
    assertThat(HttpHostCheck.target(request("/", "a.example.:8080")).host()).isEqualTo("a.example");
    assertThat(HttpHostCheck.target(request("/", "a.example.:8080")).hostHeader()).isEqualTo("a.example:8080");
  }

  @Test
  void onlyOneSpellingOfAHostGetsThrough() {
    for (String bad :
        new String[] {
          "a.example:x", "a.example:123456", "a.example evil.example", "a.example,evil.example",
          "a.example%2e", "%61.example", "\u00aa.example", "a.\u212a.example", "u@a.example", "a.example:80:80",
          "[::1", "[]", "[::1%25eth0]", "[::1]x", ".", ":80", "a.example\t", "a_b.example"
        }) {
      assertThat(HttpHostCheck.target(request("/", bad)).error()).as(bad).isEqualTo(Reason.BAD_REQUEST);
      assertThat(HttpHostCheck.authority(bad)).as("authority " + bad).isNull();
    }
  }

  @Test
  void onlyOriginAsteriskForOptionsAndHttpAbsoluteFormsAreAccepted() {
    for (String bad :
        new String[] {
          "foo://a.example/", "ws://a.example/", "wss://a.example/", "httpx://a.example/", "http:/a.example/",
          "http:a.example/", "a.example:80", "a.example/", "*", "", "http://", "http:///x", "//a.example/",
          "http://a.example@evil.example/", "http://evil.example/"
        }) {
      HttpHostCheck.Target t = HttpHostCheck.target(request(bad, "a.example"));
      if (bad.equals("//a.example/")) {
        // A path that starts with two slashes is origin-form: the host is the Host header.
        assertThat(t.host()).isEqualTo("a.example");
        assertThat(t.path()).isEqualTo("//a.example/");
        continue;
      }
      assertThat(t.error()).as(bad).isEqualTo(Reason.BAD_REQUEST);
    }
    HttpRequest options = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.OPTIONS, "*");
    options.headers().add("Host", "a.example");
    assertThat(HttpHostCheck.target(options).path()).isEqualTo("*");
    HttpHostCheck.Target absolute = HttpHostCheck.target(request("hTTpS://A.example.:8443/p?q#f", "a.example"));
    assertThat(absolute.host()).isEqualTo("A.example");
    assertThat(absolute.hostHeader()).isEqualTo("A.example:8443");
    assertThat(absolute.path()).isEqualTo("/p?q");
    assertThat(HttpHostCheck.target(request("http://a.example?x")).path()).isEqualTo("/?x");
    assertThat(HttpHostCheck.target(request("http://[2001:db8::1]:80/")).host()).isEqualTo("[2001:db8::1]");
  }

  @Test
  void missingDuplicateOrConflictingHosts() {
    assertThat(HttpHostCheck.target(request("/")).error()).isEqualTo(Reason.NO_HOST);
    assertThat(HttpHostCheck.target(request("/", "")).error()).isEqualTo(Reason.NO_HOST);
    assertThat(HttpHostCheck.target(request("/", "a.example", "b.example")).error()).isEqualTo(Reason.BAD_REQUEST);
    assertThat(HttpHostCheck.target(request("http://b.example/x", "a.example")).error()).isEqualTo(Reason.BAD_REQUEST);
    assertThat(HttpHostCheck.target(request("http://u@a.example/x", "a.example")).error()).isEqualTo(Reason.BAD_REQUEST);
    assertThat(HttpHostCheck.target(request("http://a.example/x", "a.example", "a.example")).error())
        .isEqualTo(Reason.BAD_REQUEST);
    assertThat(HttpHostCheck.target(request("HTTP://A.example:80/x", "a.example")).host()).isEqualTo("A.example");
    assertThat(HttpHostCheck.target(request("http://a.example/x")).host()).isEqualTo("a.example");
  }

  @Test
  void redirectLocationKeepsPathAndQueryDropsPort() {
    assertThat(HttpHostCheck.redirectLocation("a.example", "/p?q=1")).isEqualTo("https://a.example/p?q=1");
    String path = HttpHostCheck.target(request("http://a.example:8080/p?q=1#f")).path();
    assertThat(HttpHostCheck.redirectLocation("a.example", path)).isEqualTo("https://a.example/p?q=1");
    path = HttpHostCheck.target(request("http://a.example")).path();
    assertThat(HttpHostCheck.redirectLocation("a.example", path)).isEqualTo("https://a.example/");
    assertThat(HttpHostCheck.redirectLocation("a.example", "*")).isEqualTo("https://a.example/");
  }

  @Test
  void acmeChallengePaths() {
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/AbC_-9")).isTrue();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/tok?x=1")).isTrue();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/")).isFalse();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challengeX")).isFalse();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/../../admin")).isFalse();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/%2e%2e/admin")).isFalse();
    assertThat(HttpHostCheck.isAcmeChallenge("/x/.well-known/acme-challenge/tok")).isFalse();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/..;/..;/admin")).isFalse();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/%252e%252e/admin")).isFalse();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/tok/more")).isFalse();
  }
}
