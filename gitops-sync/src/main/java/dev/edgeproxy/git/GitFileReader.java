package dev.edgeproxy.git;

import dev.edgeproxy.allowlist.AllowListFileParser;
import dev.edgeproxy.allowlist.AllowListFormatException;
import dev.edgeproxy.allowlist.SourceException;
import dev.edgeproxy.allowlist.SourceList;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectLoader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/** Reads and parses the allow-list file at the tip of the fetched branch in the cache. */
final class GitFileReader {
  private GitFileReader() {}

  static SourceList read(Repository repo, GitSourceSettings settings, String safeUrl)
      throws SourceException, GitFetcher.CacheBroken {
    String branch = settings.branch();
    String file = settings.file();
    ObjectId tip;
    try {
      Ref ref = repo.exactRef(GitCache.TRACKING_PREFIX + branch);
      if (ref == null || ref.getObjectId() == null) {
        throw new SourceException("branch '" + branch + "' not found in " + safeUrl);
      }
      tip = ref.getObjectId();
    } catch (IOException e) {
      throw new GitFetcher.CacheBroken(GitFetcher.describe(e), e);
    }
    String abbrev = tip.abbreviate(7).name();
    byte[] bytes;
    try (RevWalk walk = new RevWalk(repo)) {
      RevCommit commit = walk.parseCommit(tip);
      try (TreeWalk tree = TreeWalk.forPath(repo, file, commit.getTree())) {
        if (tree == null) {
          throw new SourceException(
              "file '" + file + "' not found at commit " + abbrev + " of branch '" + branch
                  + "' in " + safeUrl);
        }
        FileMode mode = tree.getFileMode(0);
        if (!FileMode.REGULAR_FILE.equals(mode) && !FileMode.EXECUTABLE_FILE.equals(mode)) {
          throw new SourceException(
              "'" + file + "' at commit " + abbrev + " of branch '" + branch
                  + "' is not a regular file (a directory, symlink or submodule)");
        }
        ObjectLoader loader = repo.open(tree.getObjectId(0), Constants.OBJ_BLOB);
        int max = GitAllowListSource.MAX_FILE_BYTES;
        if (loader.getSize() > max) {
          throw new SourceException(
              file + "@" + abbrev + " is " + loader.getSize() + " bytes, more than the " + max
                  + " (4 MiB) an allow-list file in Git may have");
        }
        bytes = loader.getCachedBytes(max);
      }
    } catch (IOException e) {
      // missing or corrupt objects right after a successful fetch: the cache is damaged
      throw new GitFetcher.CacheBroken(GitFetcher.describe(e), e);
    }
    String ref = file + "@" + abbrev;
    SourceList parsed = parse(decode(bytes, ref), ref);
    return new SourceList(
        GitAllowListSource.NAME, tip.name(), parsed.allow(), parsed.deny(), parsed.routes());
  }

  private static String decode(byte[] bytes, String ref) throws SourceException {
    try {
      String text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
      return text.startsWith("\uFEFF") ? text.substring(1) : text;
    } catch (CharacterCodingException e) {
      throw new SourceException(ref + ": not valid UTF-8", e);
    }
  }

  private static SourceList parse(String text, String ref) throws SourceException {
    try {
      return AllowListFileParser.parse(text, GitAllowListSource.NAME, ref);
    } catch (AllowListFormatException e) {
      // already "allowlist.yaml@3f2c1ab:7:5: invalid host name '...'"
      throw new SourceException(e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new SourceException(ref + ": " + e.getMessage(), e);
    }
  }
}
