package org.postern.node.migrate;

/** An input file the converter cannot read: {@code file:line: cause}, printed without a stack trace. */
public final class InputException extends Exception {

  public InputException(String where, String cause) {
    super(where + ": " + cause, null, false, false);
  }
}
