package org.postern.node.cluster;

import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * What one cluster member said to a queue administration request, or why it said nothing.
 *
 * @param id the member's Vert.x node id
 * @param member its event-bus address when known (for members that did not answer), or null
 * @param result the queue's answer ({@link Outcome#OK} only), with {@code "node"} set to its name
 * @param error why there is no result, for the operator
 */
record NodeAnswer(String id, String member, Outcome outcome, JsonObject result, String error) {

  /** How a member answered. */
  enum Outcome {
    /** Its queue answered. */
    OK,
    /** Its queue answered that it does not hold the message asked for. */
    NOT_HERE,
    /** The member runs no queue: nothing consumes its queue address. */
    NO_QUEUE,
    /** No answer within the deadline. */
    NO_ANSWER,
    /** It answered with an error. */
    FAILED;

    String json() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  static NodeAnswer ok(String id, JsonObject result) {
    return new NodeAnswer(id, null, Outcome.OK, result, null);
  }

  NodeAnswer withMember(String address) {
    return new NodeAnswer(id, address, outcome, result, error);
  }

  /** True when the member's view is missing from a merged answer. */
  boolean missing() {
    return outcome == Outcome.NO_ANSWER || outcome == Outcome.FAILED;
  }

  /** The member's {@code node.hostname} when it answered, else its event-bus address or id. */
  String name() {
    if (result != null && result.getValue("node") instanceof String n) {
      return n;
    }
    return member != null ? member + " (node id " + id + ")" : "node id " + id;
  }
}
