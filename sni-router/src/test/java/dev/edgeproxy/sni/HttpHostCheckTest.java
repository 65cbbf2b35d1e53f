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
    assertThat(HttpHostCheck.target(request("/", "a.example:x")).host()).isEqualTo("a.example:x");
  }

  @Test
  void missingDuplicateOrConflictingHosts() {
    assertThat(HttpHostCheck.target(request("/")).error()).isEqualTo("no_host");
    assertThat(HttpHostCheck.target(request("/", "")).error()).isEqualTo("no_host");
    assertThat(HttpHostCheck.target(request("/", "a.example", "b.example")).error()).isEqualTo("bad_request");
    assertThat(HttpHostCheck.target(request("http://b.example/x", "a.example")).error()).isEqualTo("bad_request");
    assertThat(HttpHostCheck.target(request("http://u@a.example/x", "a.example")).error()).isEqualTo("bad_request");
    assertThat(HttpHostCheck.target(request("HTTP://A.example:80/x", "a.example")).host()).isEqualTo("A.example");
    assertThat(HttpHostCheck.target(request("http://a.example/x")).host()).isEqualTo("a.example");
  }

  @Test
  void redirectLocationKeepsPathAndQueryDropsPort() {
    assertThat(HttpHostCheck.redirectLocation("a.example", "/p?q=1")).isEqualTo("https://a.example/p?q=1");
    assertThat(HttpHostCheck.redirectLocation("a.example", "http://a.example:8080/p?q=1#f"))
        .isEqualTo("https://a.example/p?q=1");
    assertThat(HttpHostCheck.redirectLocation("a.example", "http://a.example")).isEqualTo("https://a.example/");
    assertThat(HttpHostCheck.redirectLocation("a.example", "http://a.example?x")).isEqualTo("https://a.example/?x");
    assertThat(HttpHostCheck.redirectLocation("a.example", "*")).isEqualTo("https://a.example/");
  }

  @Test
  void acmeChallengePaths() {
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/AbC_-9")).isTrue();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/tok?x=1")).isTrue();
    assertThat(HttpHostCheck.isAcmeChallenge("http://a.example/.well-known/acme-challenge/tok")).isTrue();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/")).isFalse();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challengeX")).isFalse();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/../../admin")).isFalse();
    assertThat(HttpHostCheck.isAcmeChallenge("/.well-known/acme-challenge/%2e%2e/admin")).isFalse();
    assertThat(HttpHostCheck.isAcmeChallenge("/x/.well-known/acme-challenge/tok")).isFalse();
  }
}
