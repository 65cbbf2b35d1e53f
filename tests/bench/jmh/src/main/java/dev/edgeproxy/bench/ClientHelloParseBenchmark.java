package dev.edgeproxy.bench;

import dev.edgeproxy.sni.ClientHelloParser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
 * One connection's ClientHello parse, as {@link dev.edgeproxy.sni.SniPeekHandler} does it: a fresh parser, fed every
 * byte received so far after each read.
 *
 * <ul>
 *   <li>{@code small}: the JDK client's TLS 1.3 hello (~500 B), one record, one read;
 *   <li>{@code pq}: a Chrome-style X25519MLKEM768 hello (~1.8 KB), one record, one read;
 *   <li>{@code fragmented}: the same PQ hello split into 256-byte records and arriving in 3 reads.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ClientHelloParseBenchmark {
  static final String SNI = "app.bench.test";

  @Param({"small", "pq", "fragmented"})
  public String hello;

  private ByteBuf wire;
  private int[] reads;

  @Setup
  public void setUp() {
    byte[] bytes = switch (hello) {
      case "small" -> Hellos.jdk(SNI);
      case "pq" -> Hellos.records(Hellos.chromeLikeMessage(SNI), 16384);
      case "fragmented" -> Hellos.records(Hellos.chromeLikeMessage(SNI), 256);
      default -> throw new IllegalArgumentException(hello);
    };
    wire = Unpooled.directBuffer(bytes.length).writeBytes(bytes);
    reads = hello.equals("fragmented")
        ? new int[] {bytes.length / 3, 2 * bytes.length / 3, bytes.length}
        : new int[] {bytes.length};
    ClientHelloParser.Result result = parse();
    if (result.status() != ClientHelloParser.Status.COMPLETE || !SNI.equals(result.hello().serverName())) {
      throw new IllegalStateException(hello + ": " + result);
    }
  }

  @Benchmark
  public ClientHelloParser.Result parse() {
    ClientHelloParser parser = new ClientHelloParser(16384);
    ClientHelloParser.Result result = null;
    for (int end : reads) {
      wire.writerIndex(end);
      result = parser.parse(wire);
    }
    return result;
  }
}
