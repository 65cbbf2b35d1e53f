package dev.edgeproxy.e2e.support;

import com.fasterxml.jackson.databind.JsonNode;

/** One JSON access-log line of the proxy. Absent keys read as null. */
public record AccessLogEntry(JsonNode json, String line) {

  public String text(String key) {
    JsonNode value = json.get(key);
    return value == null || value.isNull() ? null : value.asText();
  }

  public Long number(String key) {
    JsonNode value = json.get(key);
    return value == null || value.isNull() ? null : value.asLong();
  }

  public boolean has(String key) {
    return json.has(key) && !json.get(key).isNull();
  }

  public String id() {
    return text("id");
  }

  public String host() {
    return text("host");
  }

  public String decision() {
    return text("decision");
  }

  public String reason() {
    return text("reason");
  }

  public String pool() {
    return text("pool");
  }

  public String endpoint() {
    return text("endpoint");
  }

  public String client() {
    return text("client");
  }

  public Long clientPort() {
    return number("clientPort");
  }

  public Long bytesIn() {
    return number("bytesIn");
  }

  public Long bytesOut() {
    return number("bytesOut");
  }

  @Override
  public String toString() {
    return line;
  }
}
