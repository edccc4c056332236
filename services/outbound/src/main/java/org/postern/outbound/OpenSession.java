package org.postern.outbound;

import org.postern.smtp.TlsFacts;
import org.postern.smtp.TlsLevel;

/**
 * An SMTP session ready for a mail transaction: greeted, EHLO'd, with TLS as the level demanded
 * and authenticated if the next hop wants it. It may carry several transactions (connection
 * reuse); {@link #transactions} counts them.
 */
final class OpenSession {

  final Target target;
  final TlsLevel level;
  final SmtpClientConnection conn;
  final Capabilities capabilities;
  /** The session's TLS facts, or null in plaintext. */
  final TlsFacts tls;
  /** Whether the TLS handshake resumed an earlier session (abbreviated handshake). */
  final boolean resumed;
  int transactions;

  OpenSession(Target target, TlsLevel level, SmtpClientConnection conn, Capabilities capabilities, TlsFacts tls,
      boolean resumed) {
    this.target = target;
    this.level = level;
    this.conn = conn;
    this.capabilities = capabilities;
    this.tls = tls;
    this.resumed = resumed;
  }

  /** The key under which an idle session waits for its next message. */
  String poolKey() {
    return poolKey(target, level);
  }

  static String poolKey(Target target, TlsLevel level) {
    return target.relay() + "|" + level.name();
  }
}
