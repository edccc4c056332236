package org.postern.bus;

import io.vertx.core.json.JsonObject;
import java.util.Locale;
import org.postern.config.Values;

/**
 * An operator's request to the queue, as Postfix's {@code postqueue} and {@code postsuper} make
 * them: list, show one message, or change the schedule of one message, of every message with a
 * pending recipient in a domain, or of everything. The queue answers with a
 * {@link QueueAdminReply}, or fails the request with 404 (no such message) or 400.
 *
 * <p>Each node's queue administers its own spool: the queue consumes {@link #ADDRESS} locally, and
 * the node's admin API sends to it. In a cluster each queue node also answers on
 * {@link #nodeAddress(String)}, so that the admin API of any queue node can ask every other one
 * and show the cluster's queue as one.
 *
 * @param target a queue id, {@code @domain} (lower-cased) or {@link #ALL}; {@link Action#SHOW}
 *     takes a queue id only
 */
public record QueueAdminRequest(Action action, String target) {

  public static final String ADDRESS = "postern.queue.admin.v1";

  /** Vert.x node ids are UUIDs; anything longer or stranger is not one. */
  private static final java.util.regex.Pattern NODE_ID = java.util.regex.Pattern.compile("[A-Za-z0-9-]{1,64}");

  /**
   * The address on which the queue of the cluster member {@code nodeId} (its Vert.x node id) takes
   * these requests from other nodes.
   */
  public static String nodeAddress(String nodeId) {
    if (nodeId == null || !NODE_ID.matcher(nodeId).matches()) {
      throw new IllegalArgumentException("not a cluster node id: " + nodeId);
    }
    return ADDRESS + "." + nodeId;
  }

  /** The target that means every message in the queue. */
  public static final String ALL = "ALL";

  /** What the operator asks for. */
  public enum Action {
    /** Every message with its state and recipients, and counts per state and destination. */
    LIST,
    /** One message in full: envelope, schedule and header section. */
    SHOW,
    /** Attempt delivery now, as {@code postqueue -f} / {@code -s}: the same as {@link #REQUEUE}. */
    FLUSH,
    /** No delivery attempts until released ({@code postsuper -h}); survives a restart. */
    HOLD,
    /** Clears a hold and attempts delivery now ({@code postsuper -H}). */
    RELEASE,
    /** Removes the message without a bounce ({@code postsuper -d}). */
    DELETE,
    /** Attempts delivery now and restarts the back-off from its minimum ({@code postsuper -r}). */
    REQUEUE
  }

  public QueueAdminRequest {
    if (action == null) {
      throw new IllegalArgumentException("an action is required");
    }
    target = checkTarget(target);
    if (action == Action.SHOW && !isQueueId(target)) {
      throw new IllegalArgumentException("show takes a queue id, got '" + target + "'");
    }
  }

  /**
   * Checks a target and returns it in canonical form ({@code @domain} lower-cased).
   *
   * @throws IllegalArgumentException saying what a target may be
   */
  public static String checkTarget(String target) {
    if (target == null || target.isEmpty()) {
      throw new IllegalArgumentException("a target is required: a queue id, @domain or ALL");
    }
    if (target.equals(ALL)) {
      return target;
    }
    if (target.startsWith("@")) {
      String domain = target.substring(1);
      if (domain.startsWith(".") || domain.length() > 255) {
        throw new IllegalArgumentException("expected @domain such as @example.net, got '" + target + "'");
      }
      try {
        return "@" + Values.domain().apply(domain);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("expected @domain such as @example.net, got '" + target + "'");
      }
    }
    try {
      return QueueIds.check(target);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("expected a queue id (16 hex digits), @domain or ALL, got '"
          + (target.length() > 80 ? target.substring(0, 80) + "..." : target) + "'");
    }
  }

  /** True when the target names one message. */
  public boolean isQueueId() {
    return isQueueId(target);
  }

  private static boolean isQueueId(String target) {
    return !target.equals(ALL) && !target.startsWith("@");
  }

  /** The domain of an {@code @domain} target, or null. */
  public String domain() {
    return target.startsWith("@") ? target.substring(1) : null;
  }

  public JsonObject toJson() {
    return new JsonObject().put("action", action.name().toLowerCase(Locale.ROOT)).put("target", target);
  }

  /** Reads {@code {"action": "hold", "target": "@example.net"}}; the action is case-insensitive. */
  public static QueueAdminRequest fromJson(JsonObject o) {
    String action = Json.string(o, "action");
    Action a;
    try {
      a = Action.valueOf(action.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown action '" + action
          + "' (list, show, flush, hold, release, delete or requeue)");
    }
    return new QueueAdminRequest(a, Json.string(o, "target"));
  }

  public static final JsonCodec<QueueAdminRequest> CODEC =
      new JsonCodec<>(ADDRESS, QueueAdminRequest.class, QueueAdminRequest::toJson, QueueAdminRequest::fromJson);
}
