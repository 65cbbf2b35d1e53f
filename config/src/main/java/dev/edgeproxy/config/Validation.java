package dev.edgeproxy.config;

import dev.edgeproxy.allowlist.AllowListFileParser;
import dev.edgeproxy.allowlist.AllowListFormatException;
import dev.edgeproxy.allowlist.BoundedFile;
import dev.edgeproxy.allowlist.FileAllowListSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What the {@code validate} command checks: the config file and every local allow-list file it
 * names ({@code allowlist.file.path}). Each problem prints as {@code FILE:LINE:COLUMN: message}.
 */
public final class Validation {
  private Validation() {}

  /** Validates with the process environment; an empty list means OK. */
  public static List<ConfigProblem> validate(Path configFile) {
    return validate(configFile, System.getenv());
  }

  /** Validates, taking {@code ${VAR}} values from {@code env}; an empty list means OK. */
  public static List<ConfigProblem> validate(Path configFile, Map<String, String> env) {
    ConfigLoader.Located located;
    try {
      located = ConfigLoader.loadLocated(configFile, env);
    } catch (ConfigException e) {
      return e.problems();
    }
    List<ConfigProblem> problems = new ArrayList<>();
    located
        .config()
        .allowlist()
        .file()
        .ifPresent(
            f -> {
              Path path = f.path();
              String text;
              try {
                // exactly as the running file source reads it: bounded, regular file, strict UTF-8
                text = BoundedFile.readUtf8(path, FileAllowListSource.MAX_BYTES, "allow-list file");
              } catch (BoundedFile.Problem e) {
                problems.add(
                    new ConfigProblem(
                        configFile.toString(),
                        located.allowListFileLine(),
                        located.allowListFileColumn(),
                        "allowlist.file.path: "
                            + (e.missing() ? path + " does not exist" : e.getMessage())));
                return;
              }
              try {
                AllowListFileParser.parse(text, "file", path.toString());
              } catch (AllowListFormatException e) {
                for (AllowListFormatException.Problem p : e.problems()) {
                  problems.add(new ConfigProblem(path.toString(), p.line(), p.column(), p.problem()));
                }
              }
            });
    return problems;
  }
}
