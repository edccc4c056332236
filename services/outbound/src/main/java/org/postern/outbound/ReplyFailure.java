package org.postern.outbound;

import org.postern.smtp.Reply;

/**
 * A failure that already knows the SMTP reply it stands for and the next hop involved. Its
 * subclasses say how far it reaches: one address ({@link TargetFailure}) or the whole request
 * ({@link DeliveryFailure}).
 */
abstract class ReplyFailure extends RuntimeException {

  private final Reply reply;
  private final String relay;

  ReplyFailure(Reply reply, String relay) {
    super(reply.toString(), null, false, false);
    this.reply = reply;
    this.relay = relay;
  }

  Reply reply() {
    return reply;
  }

  /** {@code host[ip]:port} of the last next hop involved, or "none". */
  String relay() {
    return relay;
  }
}
