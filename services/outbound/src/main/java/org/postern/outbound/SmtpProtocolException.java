package org.postern.outbound;

/** The next hop said something that is not SMTP: a malformed or out-of-place reply. */
final class SmtpProtocolException extends RuntimeException {

  SmtpProtocolException(String message) {
    super(message, null, false, false);
  }
}
