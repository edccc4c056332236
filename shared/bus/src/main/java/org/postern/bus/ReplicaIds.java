package org.postern.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Queue ids that one queue node tells another about, with what it means by them:
 *
 * <ul>
 *   <li>{@code READY}: the holder's answer to a {@link ReplicaOffer}: send the body;
 *   <li>{@code DROP}: the owner finished these messages (delivered, bounced or deleted): holders
 *       remove their replicas. Sent to the holder and answered with {@code DROPPED}, or published to
 *       {@link #DROP_ADDRESS} when the owner does not know the holder (after its own restart);
 *   <li>{@code CHECK}: a holder that rejoins asks the owner which of these it still holds; the owner
 *       answers {@code HELD} with those, and the holder drops the rest. The owner answers only once
 *       its own recovery is done (before that it fails the request, and the holder asks again);
 *   <li>{@code COMMIT}: the owner has these messages durably itself and their replicas are held
 *       here: they may be acknowledged now, and taken over if the owner dies. The holder answers
 *       {@code HELD} with the ids it holds, now committed; the owner's receipt (hence the 250)
 *       waits for that answer, so a replica never committed belongs to a message never
 *       acknowledged;
 *   <li>{@code HOLDING}: an owner that restarts asks every other queue node which of these, its own
 *       messages, it holds committed replicas of; each answers {@code HELD} with those. A message
 *       no node holds a committed replica of was never acknowledged (the receipt waits for the
 *       commit).
 * </ul>
 *
 * @param node the sender's stable node id
 */
public record ReplicaIds(Kind kind, String node, List<String> queueIds) {

  /** Published drops reach every queue node. */
  public static final String DROP_ADDRESS = "postern.queue.replica-drop.v1";

  /** Most ids in one message; larger sets go in several. */
  public static final int MAX_IDS = 10_000;

  private static final Pattern NODE = Pattern.compile("[a-z0-9][a-z0-9-]{0,63}");

  public enum Kind { READY, DROP, DROPPED, CHECK, HELD, HOLDING, COMMIT }

  public ReplicaIds {
    if (kind == null || queueIds == null) {
      throw new IllegalArgumentException("kind and queue ids are required");
    }
    checkNode(node);
    if (queueIds.size() > MAX_IDS) {
      throw new IllegalArgumentException("more than " + MAX_IDS + " queue ids");
    }
    queueIds.forEach(QueueIds::check);
    queueIds = List.copyOf(queueIds);
  }

  /**
   * Checks a stable node id (the one kept in {@code node.data_dir}); node ids become directory
   * names and addresses, so this is a security check.
   */
  public static String checkNode(String node) {
    if (node == null || !NODE.matcher(node).matches()) {
      throw new IllegalArgumentException("malformed node id: " + node);
    }
    return node;
  }

  public JsonObject toJson() {
    return new JsonObject().put("kind", kind.name().toLowerCase(Locale.ROOT)).put("node", node)
        .put("queueIds", new JsonArray(new ArrayList<>(queueIds)));
  }

  public static ReplicaIds fromJson(JsonObject o) {
    Kind kind;
    try {
      kind = Kind.valueOf(Json.string(o, "kind").toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("field 'kind' is not a replica message kind");
    }
    if (!(o.getValue("queueIds") instanceof JsonArray ids) || ids.size() > MAX_IDS) {
      throw new IllegalArgumentException("field 'queueIds' must be an array of at most " + MAX_IDS);
    }
    List<String> list = new ArrayList<>();
    for (Object id : ids) {
      if (!(id instanceof String s)) {
        throw new IllegalArgumentException("queue ids must be strings");
      }
      list.add(s);
    }
    return new ReplicaIds(kind, Json.string(o, "node"), list);
  }

  public static final JsonCodec<ReplicaIds> CODEC =
      new JsonCodec<>("postern.queue.replica-ids.v1", ReplicaIds.class, ReplicaIds::toJson, ReplicaIds::fromJson);
}
