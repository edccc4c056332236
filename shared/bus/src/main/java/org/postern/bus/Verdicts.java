package org.postern.bus;

import org.postern.smtp.Reply;

/** The consistency rules every policy answer obeys. */
final class Verdicts {

  private Verdicts() {}

  static void check(Decision decision, Reply reply, String rule) {
    if (decision == null || rule == null || rule.isBlank()) {
      throw new IllegalArgumentException("a verdict needs a decision and the rule that made it");
    }
    switch (decision) {
      case ACCEPT:
        if (reply != null && !reply.isPositive()) {
          throw new IllegalArgumentException("an accept cannot carry a refusal reply");
        }
        break;
      case REJECT:
        if (reply == null || !reply.isPermanent()) {
          throw new IllegalArgumentException("a reject needs a 5xx reply");
        }
        break;
      default:
        if (reply == null || !reply.isTransient()) {
          throw new IllegalArgumentException("a tempfail needs a 4xx reply");
        }
    }
  }
}
