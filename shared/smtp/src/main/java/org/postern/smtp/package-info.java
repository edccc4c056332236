/**
 * The SMTP protocol, standing alone: a parser that turns a command line into a typed
 * {@link org.postern.smtp.Command}, the {@link org.postern.smtp.Reply} type with enhanced status
 * codes (RFC 3463), and {@link org.postern.smtp.SmtpSession}, a state machine that maps
 * (state, command) to replies and effects.
 *
 * <p>Nothing here opens a socket, reads a clock it was not given, or depends on Vert.x. That is
 * what lets every reply of RFC 5321, RFC 3207 and RFC 2920 be tested as a table of dialogues, and
 * lets the inbound verticle stay a thin adapter.
 *
 * <p>Standards: RFC 5321 (SMTP), RFC 3207 (STARTTLS), RFC 2920 (PIPELINING), RFC 1870 (SIZE),
 * RFC 6152 (8BITMIME), RFC 2034 and RFC 3463 (enhanced status codes).
 */
package org.postern.smtp;
