package org.postern.bus;

import io.vertx.core.json.JsonObject;

/**
 * The queue's answer to a {@link QueueAdminRequest}. The admin API is an edge that hands this JSON
 * to the operator's tool as it is, so the result stays JSON rather than a record per action; its
 * shape is described in {@code deploy/README.md} ("Administering the queue").
 */
public record QueueAdminReply(JsonObject result) {

  public QueueAdminReply {
    if (result == null) {
      throw new IllegalArgumentException("a result is required");
    }
    result = result.copy();
  }

  @Override
  public JsonObject result() {
    return result.copy();
  }

  public JsonObject toJson() {
    return new JsonObject().put("result", result);
  }

  public static QueueAdminReply fromJson(JsonObject o) {
    return new QueueAdminReply(Json.object(o, "result"));
  }

  public static final JsonCodec<QueueAdminReply> CODEC =
      new JsonCodec<>("postern.queue.admin-reply.v1", QueueAdminReply.class, QueueAdminReply::toJson,
          QueueAdminReply::fromJson);
}
