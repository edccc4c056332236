package org.postern.policy;

import java.util.List;

/** A policy file that cannot be used, with every problem found, each as {@code file:line: reason}. */
public final class PolicyFileException extends Exception {

  private final List<String> problems;

  public PolicyFileException(List<String> problems) {
    super(String.join("\n", problems), null, false, false);
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
