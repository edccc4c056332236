package org.postern.outbound;

/** The conversation with the next hop ended without a reply: a timeout, or the peer went away. */
final class SmtpConnectionException extends RuntimeException {

  /** Why no reply came. */
  enum Kind {
    TIMEOUT,
    CLOSED
  }

  private final Kind kind;

  SmtpConnectionException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  Kind kind() {
    return kind;
  }
}
