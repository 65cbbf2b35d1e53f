package dev.edgeproxy.allowlist;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads a local file that the operator names (config, allow-list, state file) with a size bound,
 * and only when it is a regular file: a FIFO would block the reader until someone writes to it
 * (start hangs before any listener binds), and a device such as {@code /dev/zero} never ends (the
 * process dies of OutOfMemoryError). Both are refused from their attributes, before opening.
 */
public final class BoundedFile {
  /** The file was refused or could not be read; the message names the file and says why. */
  public static final class Problem extends IOException {
    private static final long serialVersionUID = 1L;
    private final boolean missing;

    Problem(String message, boolean missing, Throwable cause) {
      super(message, cause);
      this.missing = missing;
    }

    /** True when the file does not exist (some callers treat that as "nothing yet"). */
    public boolean missing() {
      return missing;
    }
  }

  private BoundedFile() {}

  /**
   * The file's bytes.
   *
   * @param what how the message names the file, e.g. {@code allow-list file}
   * @throws Problem when it does not exist, is not a regular file, is larger than {@code maxBytes}
   *     (checked before reading and again while reading, in case it grows) or cannot be read
   */
  public static byte[] read(Path path, long maxBytes, String what) throws Problem {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new Problem(what + " " + path + " does not exist", true, e);
    } catch (IOException e) {
      throw new Problem("cannot read " + what + " " + path + ": " + e, false, e);
    }
    if (!attrs.isRegularFile()) {
      throw new Problem(
          what + " " + path + " is not a regular file ("
              + (attrs.isDirectory() ? "a directory" : "a FIFO, socket or device")
              + "): refused without reading it",
          false,
          null);
    }
    if (attrs.size() > maxBytes) {
      throw tooLarge(path, maxBytes, what, attrs.size());
    }
    try (InputStream in = Files.newInputStream(path)) {
      byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
      if (bytes.length > maxBytes) {
        throw tooLarge(path, maxBytes, what, -1);
      }
      return bytes;
    } catch (Problem e) {
      throw e;
    } catch (NoSuchFileException e) {
      throw new Problem(what + " " + path + " does not exist", true, e);
    } catch (IOException e) {
      throw new Problem("cannot read " + what + " " + path + ": " + e, false, e);
    }
  }

  /** {@link #read} then strict UTF-8 decoding (a malformed byte is an error, never replaced). */
  public static String readUtf8(Path path, long maxBytes, String what) throws Problem {
    byte[] bytes = read(path, maxBytes, what);
    try {
      return strictUtf8(bytes);
    } catch (CharacterCodingException e) {
      throw new Problem(what + " " + path + " is not valid UTF-8", false, e);
    }
  }

  /** Decodes UTF-8, refusing malformed input instead of replacing it with U+FFFD. */
  public static String strictUtf8(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8
        .newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT)
        .decode(ByteBuffer.wrap(bytes))
        .toString();
  }

  private static Problem tooLarge(Path path, long maxBytes, String what, long size) {
    return new Problem(
        what + " " + path + (size >= 0 ? " is " + size + " bytes," : " grew while reading:")
            + " more than the " + maxBytes + " bytes allowed; refused without reading it",
        false,
        null);
  }
}
