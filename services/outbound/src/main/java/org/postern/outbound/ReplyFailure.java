package org.postern.outbound;

import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;

/**
 * A failure that already knows the SMTP reply it stands for and the next hop involved. Its
 * subclasses say how far it reaches: one address ({@link TargetFailure}) or the whole request
 * ({@link DeliveryFailure}).
 */
abstract class ReplyFailure extends RuntimeException {

  private final Reply reply;
  private final String relay;
  private final TlsFacts tls;

  ReplyFailure(Reply reply, String relay) {
    this(reply, relay, null);
  }

  /** @param tls the TLS session in force when it failed, or null in plaintext (or before any) */
  ReplyFailure(Reply reply, String relay, TlsFacts tls) {
    super(reply.toString(), null, false, false);
    this.reply = reply;
    this.relay = relay;
    this.tls = tls;
  }

  Reply reply() {
    return reply;
  }

  /** {@code host[ip]:port} of the last next hop involved, or "none". */
  String relay() {
    return relay;
  }

  /** What the delivery log's {@code tls=} says: the session negotiated before the refusal, or null. */
  TlsFacts tls() {
    return tls;
  }
}
