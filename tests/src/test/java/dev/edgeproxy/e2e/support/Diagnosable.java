package dev.edgeproxy.e2e.support;

/** Something that can say what it did, for the report of a failed test. */
public interface Diagnosable {
  String diagnostics();
}
