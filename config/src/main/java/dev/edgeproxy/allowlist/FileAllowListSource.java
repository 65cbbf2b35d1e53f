package dev.edgeproxy.allowlist;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The local allow-list file ({@code allowlist.file.path}). Every {@link #fetch()} reads the file
 * again; deciding when to call it (interval, file watch, SIGHUP) belongs to the wiring. Provenance
 * refs are {@code <path> line N}; the revision is the content hash.
 */
public final class FileAllowListSource implements AllowListSource {
  /** The source name used in provenance, metrics and {@code /status}. */
  public static final String NAME = "file";

  private final Path path;

  public FileAllowListSource(Path path) {
    this.path = Objects.requireNonNull(path, "path");
  }

  @Override
  public String name() {
    return NAME;
  }

  public Path path() {
    return path;
  }

  @Override
  public SourceList fetch() throws SourceException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new SourceException("allow-list file " + path + " does not exist");
    } catch (IOException e) {
      throw new SourceException("cannot read allow-list file " + path + ": " + e, e);
    }
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new SourceException("allow-list file " + path + " is not valid UTF-8");
    }
    try {
      return AllowListFileParser.parse(text, NAME, path.toString());
    } catch (AllowListFormatException e) {
      throw new SourceException(e.getMessage(), e);
    }
  }
}
