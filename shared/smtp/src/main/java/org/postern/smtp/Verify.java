package org.postern.smtp;

/**
 * The outcome of certificate verification for a session, with sendmail's {@code ${verify}} macro
 * values (as documented in the Solaris sendmail guide).
 */
public enum Verify {
  /** The peer's certificate was verified. */
  OK,
  /** No certificate was presented. */
  NO,
  /** No certificate was requested. */
  NOT,
  /** A certificate was presented but could not be verified. */
  FAIL,
  /** STARTTLS has not been performed. */
  NONE,
  /** A temporary error occurred. */
  TEMP,
  /** An SMTP protocol error occurred. */
  PROTOCOL,
  /** The STARTTLS handshake failed. */
  SOFTWARE
}
