package org.postern.bus;

import io.vertx.core.json.JsonObject;

/**
 * A queue node's answer to an {@link EnqueueOffer}: it expects the body of {@code queueId} at
 * {@link #bodyAddress()} (a {@link BodyTransfer} under the queue id) and then the
 * {@link EnqueueCommit} at {@link #commitAddress()}. Both addresses name that node, so every part
 * of one message reaches the same queue.
 *
 * @param node the queue node's stable id (see {@link ReplicaIds#checkNode})
 */
public record EnqueueTarget(String queueId, String node) {

  public EnqueueTarget {
    QueueIds.check(queueId);
    ReplicaIds.checkNode(node);
  }

  /** Where the queue node {@code node} receives enqueued bodies in chunks. */
  public static String bodyAddress(String node) {
    return "postern.queue.enqueue-body.v1." + ReplicaIds.checkNode(node);
  }

  /** Where the queue node {@code node} receives the envelope that completes a chunked enqueue. */
  public static String commitAddress(String node) {
    return "postern.queue.enqueue-commit.v1." + ReplicaIds.checkNode(node);
  }

  public String bodyAddress() {
    return bodyAddress(node);
  }

  public String commitAddress() {
    return commitAddress(node);
  }

  public JsonObject toJson() {
    return new JsonObject().put("queueId", queueId).put("node", node);
  }

  public static EnqueueTarget fromJson(JsonObject o) {
    return new EnqueueTarget(Json.string(o, "queueId"), Json.string(o, "node"));
  }

  public static final JsonCodec<EnqueueTarget> CODEC =
      new JsonCodec<>("postern.queue.enqueue-target.v1", EnqueueTarget.class, EnqueueTarget::toJson,
          EnqueueTarget::fromJson);
}
