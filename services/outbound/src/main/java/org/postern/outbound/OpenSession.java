package org.postern.outbound;

import java.security.cert.X509Certificate;
import org.postern.smtp.TlsFacts;
import org.postern.smtp.TlsLevel;
import org.postern.smtp.Verify;

/**
 * An SMTP session ready for a mail transaction: greeted, EHLO'd, with TLS as the level demanded
 * and authenticated if the next hop wants it. It may carry several transactions (connection
 * reuse); {@link #transactions} counts them.
 */
final class OpenSession {

  final Target target;
  final TlsLevel level;
  /** What the certificate was checked against at levels verify and secure. */
  final NameMatch names;
  final SmtpClientConnection conn;
  final Capabilities capabilities;
  /** The session's TLS facts, or null in plaintext. */
  final TlsFacts tls;
  /**
   * sendmail's {@code ${verify}}: the facts' value over TLS; in plaintext NONE, TEMP, PROTOCOL or
   * SOFTWARE, as the STARTTLS step ended (policy's tls_server judges it).
   */
  final Verify verify;
  /** The server's certificate, or null in plaintext. */
  final X509Certificate peer;
  /** Whether the TLS handshake resumed an earlier session (abbreviated handshake). */
  final boolean resumed;
  int transactions;
  /**
   * Taken from the pool without its RSET, which the next transaction sends at the head of its
   * pipelined group (see {@link SessionPool#take}).
   */
  boolean rsetPending;

  OpenSession(Target target, TlsLevel level, NameMatch names, SmtpClientConnection conn,
      Capabilities capabilities, TlsFacts tls, Verify verify, X509Certificate peer, boolean resumed) {
    this.target = target;
    this.level = level;
    this.names = names;
    this.conn = conn;
    this.capabilities = capabilities;
    this.tls = tls;
    this.verify = verify;
    this.peer = peer;
    this.resumed = resumed;
  }

  /** The key under which an idle session waits for its next message. */
  String poolKey() {
    return poolKey(target, level, names);
  }

  /**
   * Address, TLS level and, at levels verify and secure, the names checked: a session whose
   * certificate was checked for one destination's names must not carry mail for another's.
   */
  static String poolKey(Target target, TlsLevel level, NameMatch names) {
    return target.relay() + "|" + level.name() + "|" + names.poolKey();
  }
}
