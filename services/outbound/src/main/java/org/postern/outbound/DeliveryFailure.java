package org.postern.outbound;

import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;

/**
 * A failure whose reply is already known, for every recipient of the request: the TLS policy did
 * not answer, the domain has a null MX, no address could be found. The reply's class decides the
 * status (5xx bounces, anything else defers).
 *
 * @see TargetFailure for a failure that only rules out one next-hop address
 */
final class DeliveryFailure extends ReplyFailure {

  DeliveryFailure(Reply reply, String relay) {
    super(reply, relay);
  }

  DeliveryFailure(Reply reply, String relay, TlsFacts tls) {
    super(reply, relay, tls);
  }
}
