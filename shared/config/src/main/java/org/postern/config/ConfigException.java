package org.postern.config;

import java.util.List;

/**
 * A configuration that cannot be used. Each problem reads {@code where: key: what is wrong}, where
 * {@code where} is {@code file:line} or {@code --set}; operators see these lines, not a stack trace.
 */
public final class ConfigException extends Exception {

  private final List<String> problems;

  public ConfigException(List<String> problems) {
    super(String.join("\n", problems), null, false, false);
    this.problems = List.copyOf(problems);
  }

  public ConfigException(String problem) {
    this(List.of(problem));
  }

  public List<String> problems() {
    return problems;
  }
}
