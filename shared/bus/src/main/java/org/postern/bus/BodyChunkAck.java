package org.postern.bus;

import io.vertx.core.json.JsonObject;

/**
 * The receiver's answer to one {@link BodyChunk}: that chunk is written, and {@code received}
 * octets of the body are now written in all. To the last chunk it answers only once the sink has
 * ended (for a spool, once the body is durable).
 */
public record BodyChunkAck(String transferId, long received) {

  public BodyChunkAck {
    BodyChunk.checkTransferId(transferId);
    if (received < 0 || received > EnqueueRequest.MAX_BODY) {
      throw new IllegalArgumentException("received out of range: " + received);
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("transferId", transferId).put("received", received);
  }

  public static BodyChunkAck fromJson(JsonObject o) {
    if (!(o.getValue("received") instanceof Number n)) {
      throw new IllegalArgumentException("field 'received' must be a number");
    }
    return new BodyChunkAck(Json.string(o, "transferId"), n.longValue());
  }

  public static final JsonCodec<BodyChunkAck> CODEC =
      new JsonCodec<>("postern.body.chunk-ack.v1", BodyChunkAck.class, BodyChunkAck::toJson, BodyChunkAck::fromJson);
}
