package dev.edgeproxy.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdminAuthTest {
  @Test
  void bearerTokenMustMatchExactly() {
    assertThat(AdminAuth.bearerMatches("Bearer abc", "abc")).isTrue();
    assertThat(AdminAuth.bearerMatches("bearer  abc ", "abc")).isTrue();
    assertThat(AdminAuth.bearerMatches("Bearer abcd", "abc")).isFalse();
    assertThat(AdminAuth.bearerMatches("Bearer ab", "abc")).isFalse();
    assertThat(AdminAuth.bearerMatches("Basic abc", "abc")).isFalse();
    assertThat(AdminAuth.bearerMatches("abc", "abc")).isFalse();
    assertThat(AdminAuth.bearerMatches(null, "abc")).isFalse();
    assertThat(AdminAuth.bearerMatches("Bearer ", "")).isFalse();
  }
}
