package org.postern.outbound;

import org.postern.smtp.Reply;

/**
 * One next-hop address could not take the message (no connection, a refusing greeting, TLS that
 * the policy requires but the host lacks): the next address is tried, and when none is left the
 * last of these replies defers the message.
 */
final class TargetFailure extends RuntimeException {

  private final Reply reply;
  private final String relay;

  TargetFailure(Reply reply, String relay) {
    super(reply.toString(), null, false, false);
    this.reply = reply;
    this.relay = relay;
  }

  Reply reply() {
    return reply;
  }

  String relay() {
    return relay;
  }
}
