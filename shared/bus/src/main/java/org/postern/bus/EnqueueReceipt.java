package org.postern.bus;

import io.vertx.core.json.JsonObject;

/** The queue's confirmation that a message is durable. */
public record EnqueueReceipt(String queueId) {

  public EnqueueReceipt {
    QueueIds.check(queueId);
  }

  public JsonObject toJson() {
    return new JsonObject().put("queueId", queueId);
  }

  public static EnqueueReceipt fromJson(JsonObject o) {
    return new EnqueueReceipt(Json.string(o, "queueId"));
  }

  public static final JsonCodec<EnqueueReceipt> CODEC =
      new JsonCodec<>("postern.queue.enqueue-receipt.v1", EnqueueReceipt.class, EnqueueReceipt::toJson,
          EnqueueReceipt::fromJson);
}
