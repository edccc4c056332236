package org.postern.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.postern.smtp.Envelope;

/**
 * The envelope of a message whose body already reached a queue node in chunks (see
 * {@link EnqueueOffer}): an {@link EnqueueRequest} without its body. The queue node stores the
 * message it received under {@code queueId}, which must be {@code bodyLength} octets long, and
 * answers {@link EnqueueReceipt} once it is durable (and replicated), exactly as for an
 * {@link EnqueueRequest}; idempotent on the queue id in the same way.
 */
public record EnqueueCommit(String queueId, Envelope envelope, ClientInfo client, long bodyLength) {

  public EnqueueCommit {
    QueueIds.check(queueId);
    if (envelope == null || client == null) {
      throw new IllegalArgumentException("envelope and client are required");
    }
    if (bodyLength < 0 || bodyLength > EnqueueRequest.MAX_BODY) {
      throw new IllegalArgumentException("body length out of range: " + bodyLength);
    }
  }

  /** The request this commit completes, with the body that arrived in chunks. */
  public EnqueueRequest withBody(Buffer body) {
    if (body.length() != bodyLength) {
      throw new IllegalArgumentException("body of " + body.length() + " octets, " + bodyLength + " announced");
    }
    return new EnqueueRequest(queueId, envelope, client, body);
  }

  public JsonObject toJson() {
    JsonObject o = new EnqueueRequest(queueId, envelope, client, Buffer.buffer()).toJson();
    o.remove("body");
    return o.put("bodyLength", bodyLength);
  }

  public static EnqueueCommit fromJson(JsonObject o) {
    EnqueueRequest r = EnqueueRequest.fromJson(o.copy().put("body", ""));
    if (!(o.getValue("bodyLength") instanceof Number length)) {
      throw new IllegalArgumentException("field 'bodyLength' must be a number");
    }
    return new EnqueueCommit(r.queueId(), r.envelope(), r.client(), length.longValue());
  }

  public static final JsonCodec<EnqueueCommit> CODEC =
      new JsonCodec<>("postern.queue.enqueue-commit.v1", EnqueueCommit.class, EnqueueCommit::toJson,
          EnqueueCommit::fromJson);
}
