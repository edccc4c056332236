package org.postern.policy;

/**
 * One compiled entry: what it says, where it was written ({@code file:line}) and its text, so
 * every answer can name the rule that made it.
 */
public record Rule<T>(T value, String where, String text) {

  public Rule {
    if (value == null || where == null || text == null) {
      throw new IllegalArgumentException("a rule needs a value, a place and a text");
    }
  }

  /** {@code /etc/postern/access:3 TLS_Clt:desktop.example.net VERIFY:128}, as logs and answers show it. */
  public String name() {
    return where + " " + text;
  }
}
