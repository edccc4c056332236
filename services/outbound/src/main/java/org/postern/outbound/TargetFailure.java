package org.postern.outbound;

import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;

/**
 * One next-hop address could not take the message (no connection, a refusing greeting, TLS that
 * the policy requires but the host lacks): the next address is tried, and when none is left the
 * last of these replies defers the message.
 */
final class TargetFailure extends ReplyFailure {

  TargetFailure(Reply reply, String relay) {
    super(reply, relay);
  }

  TargetFailure(Reply reply, String relay, TlsFacts tls) {
    super(reply, relay, tls);
  }
}
