package dev.edgeproxy.allowlist;

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

  /**
   * The largest local allow-list file read (4 MiB, as for the Git source): about 100,000 entries.
   * A larger file, a FIFO or a device is a source error that keeps the last good list.
   */
  public static final long MAX_BYTES = 4L * 1024 * 1024;

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
    String text;
    try {
      text = BoundedFile.readUtf8(path, MAX_BYTES, "allow-list file");
    } catch (BoundedFile.Problem e) {
      throw new SourceException(e.getMessage(), e);
    }
    try {
      return AllowListFileParser.parse(text, NAME, path.toString());
    } catch (AllowListFormatException e) {
      throw new SourceException(e.getMessage(), e);
    }
  }
}
