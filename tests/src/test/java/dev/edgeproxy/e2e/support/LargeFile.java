package dev.edgeproxy.e2e.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/** A 64 MiB file of random bytes under target/, made once and reused, with its SHA-256. */
public final class LargeFile {

  public static final long SIZE = 64L * 1024 * 1024;
  public static final String NAME = "big.bin";

  private static LargeFile instance;

  private final Path file;
  private final String sha256;

  private LargeFile(Path file, String sha256) {
    this.file = file;
    this.sha256 = sha256;
  }

  public static synchronized LargeFile get() {
    if (instance == null) {
      Path file = WorkDirs.target().resolve("e2e-data").resolve(NAME);
      try {
        if (!Files.isRegularFile(file) || Files.size(file) != SIZE) {
          write(file);
        }
        instance = new LargeFile(file, sha256(file));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return instance;
  }

  /** The directory nginx serves it from (as its root). */
  public Path directory() {
    return file.getParent();
  }

  public Path file() {
    return file;
  }

  public String sha256() {
    return sha256;
  }

  public static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static void write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(NAME + ".tmp");
    // random (incompressible) content, so nothing on the way can cheat by compressing it
    SplittableRandom random = new SplittableRandom();
    byte[] chunk = new byte[1 << 20];
    try (OutputStream out = Files.newOutputStream(tmp)) {
      for (long written = 0; written < SIZE; written += chunk.length) {
        for (int i = 0; i < chunk.length; i += 8) {
          long value = random.nextLong();
          for (int b = 0; b < 8; b++) {
            chunk[i + b] = (byte) (value >>> (8 * b));
          }
        }
        out.write(chunk);
      }
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static String sha256(Path file) throws IOException {
    MessageDigest digest = newDigest();
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }
}
