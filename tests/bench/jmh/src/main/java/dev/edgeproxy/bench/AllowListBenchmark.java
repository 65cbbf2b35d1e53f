package dev.edgeproxy.bench;

import dev.edgeproxy.allowlist.AllowListSnapshot;
import dev.edgeproxy.allowlist.HostName;
import dev.edgeproxy.allowlist.HostPattern;
import dev.edgeproxy.allowlist.Provenance;
import dev.edgeproxy.allowlist.SourceEntry;
import dev.edgeproxy.allowlist.SourceList;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Host normalisation + allow-list decision for one SNI, as the router does it per connection:
 * {@code snapshot.decide(HostName.parse(sni))}. One in ten entries is a wildcard; the queries (mixed
 * case, some with a trailing dot) are a third exact hits, a third wildcard hits and a third misses,
 * cycled so that the branch predictor cannot learn one answer.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AllowListBenchmark {
  @Param({"10", "10000", "100000"})
  public int entries;

  private AllowListSnapshot snapshot;
  private String[] queries;
  private HostName[] parsed;
  private int next;

  @Setup
  public void setUp() {
    List<SourceEntry> allow = new ArrayList<>(entries);
    int wildcards = Math.max(1, entries / 10);
    for (int i = 0; i < entries - wildcards; i++) {
      allow.add(entry("host" + i + ".team" + (i % 97) + ".example.com", i));
    }
    for (int i = 0; i < wildcards; i++) {
      allow.add(entry("*.apps" + i + ".example.net", i));
    }
    snapshot = AllowListSnapshot.build(List.of(), Map.of("file", SourceList.allowOnly("file", "r1", allow)));
    Random random = new Random(7);
    queries = new String[1024];
    parsed = new HostName[queries.length];
    for (int q = 0; q < queries.length; q++) {
      String name = switch (q % 3) {
        case 0 -> {
          int i = random.nextInt(entries - wildcards);
          yield "Host" + i + ".team" + (i % 97) + ".Example.com";
        }
        case 1 -> "svc" + q + ".apps" + random.nextInt(wildcards) + ".example.NET";
        default -> "unknown" + q + ".example.org.";
      };
      queries[q] = name;
      parsed[q] = HostName.parse(name);
      boolean expected = q % 3 != 2;
      if (snapshot.decide(parsed[q]).allowed() != expected) {
        throw new IllegalStateException("unexpected decision for " + name);
      }
    }
  }

  private static SourceEntry entry(String pattern, int line) {
    return new SourceEntry(HostPattern.parse(pattern), new Provenance("file", "line " + (line + 1)));
  }

  /** What the router does per connection: normalise the SNI, then decide. */
  @Benchmark
  public AllowListSnapshot.Decision parseAndDecide() {
    String sni = queries[next++ & 1023];
    return snapshot.decide(HostName.parse(sni));
  }

  /** The lookup alone, on an already normalised name. */
  @Benchmark
  public AllowListSnapshot.Decision decideOnly() {
    return snapshot.decide(parsed[next++ & 1023]);
  }
}
