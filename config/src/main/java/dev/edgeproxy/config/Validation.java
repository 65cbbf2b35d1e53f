package dev.edgeproxy.config;

import dev.edgeproxy.allowlist.AllowListFileParser;
import dev.edgeproxy.allowlist.AllowListFormatException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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
                text = new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
              } catch (NoSuchFileException e) {
                problems.add(
                    new ConfigProblem(
                        configFile.toString(),
                        located.allowListFileLine(),
                        located.allowListFileColumn(),
                        "allowlist.file.path: " + path + " does not exist"));
                return;
              } catch (IOException e) {
                problems.add(
                    new ConfigProblem(
                        configFile.toString(),
                        located.allowListFileLine(),
                        located.allowListFileColumn(),
                        "allowlist.file.path: cannot read " + path + ": " + e));
                return;
              }
              try {
                AllowListFileParser.parse(text, "file", path.toString());
              } catch (AllowListFormatException e) {
                problems.add(
                    new ConfigProblem(path.toString(), e.line(), e.column(), e.problem()));
              }
            });
    return problems;
  }
}
