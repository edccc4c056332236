package org.postern.bus;

import io.vertx.core.json.JsonObject;

/**
 * A message small enough to cross to a queue node in one bounded event-bus message: inbound on a
 * node without the queue role sends it to {@link #ADDRESS}, which every queue node consumes (the
 * event bus picks one), instead of an {@link EnqueueOffer}, a {@link BodyTransfer} and an
 * {@link EnqueueCommit}. Those cost three round trips and a temporary file on the queue node,
 * which for the few kilobytes of most mail was most of the cost of the hop. Larger bodies still go
 * in chunks. The queue node stores it as an {@link EnqueueRequest} and answers
 * {@link EnqueueReceipt} once it is durable (and replicated); idempotent on the queue id.
 *
 * @param request the message; its body at most {@link #MAX_BODY} octets
 */
public record EnqueueInline(EnqueueRequest request) {

  public static final String ADDRESS = "postern.queue.enqueue-inline.v1";

  /** Bodies up to this many octets go inline: a quarter of a chunk, so the bus stays fair. */
  public static final int MAX_BODY = 64 * 1024;

  public EnqueueInline {
    if (request == null) {
      throw new IllegalArgumentException("request is required");
    }
    if (request.body().length() > MAX_BODY) {
      throw new IllegalArgumentException("body of " + request.body().length() + " octets is over the inline limit of "
          + MAX_BODY + "; send it in chunks");
    }
  }

  public JsonObject toJson() {
    return request.toJson();
  }

  public static EnqueueInline fromJson(JsonObject o) {
    return new EnqueueInline(EnqueueRequest.fromJson(o));
  }

  public static final JsonCodec<EnqueueInline> CODEC =
      new JsonCodec<>(ADDRESS, EnqueueInline.class, EnqueueInline::toJson, EnqueueInline::fromJson);
}
