package org.postern.outbound;

import java.util.List;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;

/**
 * A session that reached the mail transaction: the reply that decided each recipient, in the
 * request's order.
 *
 * @param tls the session's TLS facts, or null in plaintext
 * @param dsn whether the server advertised DSN, so the recipients' DSN parameters went with them
 * @param connUse which transaction of its connection this was: 1 on a new connection, more when
 *     the connection was reused (Postfix's conn_use)
 */
record AttemptResult(Target target, TlsFacts tls, List<Reply> replies, boolean dsn, int connUse, long startedNanos) {

  AttemptResult {
    replies = List.copyOf(replies);
  }
}
