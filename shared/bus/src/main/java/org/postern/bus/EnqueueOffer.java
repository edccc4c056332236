package org.postern.bus;

import io.vertx.core.json.JsonObject;

/**
 * Inbound, on a node without the queue role, asks for a queue node to take a message of
 * {@code bodyLength} octets. Sent to {@link #ADDRESS}, which every queue node consumes, so the
 * event bus (Hazelcast's membership) picks one; that node answers {@link EnqueueTarget} with its
 * own addresses, and the body then goes there in chunks, followed by the {@link EnqueueCommit}.
 */
public record EnqueueOffer(String queueId, long bodyLength) {

  public static final String ADDRESS = "postern.queue.enqueue-offer.v1";

  public EnqueueOffer {
    QueueIds.check(queueId);
    if (bodyLength < 0 || bodyLength > EnqueueRequest.MAX_BODY) {
      throw new IllegalArgumentException("body length out of range: " + bodyLength);
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("queueId", queueId).put("bodyLength", bodyLength);
  }

  public static EnqueueOffer fromJson(JsonObject o) {
    if (!(o.getValue("bodyLength") instanceof Number length)) {
      throw new IllegalArgumentException("field 'bodyLength' must be a number");
    }
    return new EnqueueOffer(Json.string(o, "queueId"), length.longValue());
  }

  public static final JsonCodec<EnqueueOffer> CODEC =
      new JsonCodec<>(ADDRESS, EnqueueOffer.class, EnqueueOffer::toJson, EnqueueOffer::fromJson);
}
