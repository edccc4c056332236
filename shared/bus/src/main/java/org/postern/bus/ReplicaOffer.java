package org.postern.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.postern.smtp.Envelope;

/**
 * A queue node (the owner) asks another queue node to hold a replica of a message it is storing.
 * A body of at most {@link EnqueueInline#MAX_BODY} octets comes inline: the holder stores the
 * replica, fsync'd, and answers {@link ReplicaIds} of kind {@code HELD}. For a larger one the
 * holder prepares a file in its replica area and answers {@code READY}; the owner then sends the
 * body with {@link BodyTransfer} to {@link #bodyAddress(String)} under the queue id, and the holder
 * acknowledges the last chunk only once the replica is fsync'd. The owner sends its 250 (through
 * inbound) only after that.
 *
 * @param owner the stable node id of the owner (see {@link ReplicaIds#checkNode})
 * @param bodyLength the body's length, which the transfer must match
 * @param body the body itself when it is small enough to come inline, else null
 */
public record ReplicaOffer(String queueId, String owner, Envelope envelope, ClientInfo client, Instant arrival,
    long bodyLength, Buffer body) {

  /** Each queue node consumes offers and {@link ReplicaIds} requests at this prefix plus its node id. */
  public static final String ADDRESS_PREFIX = "postern.queue.replica.v1.";

  public ReplicaOffer {
    QueueIds.check(queueId);
    ReplicaIds.checkNode(owner);
    if (envelope == null || client == null || arrival == null) {
      throw new IllegalArgumentException("envelope, client and arrival are required");
    }
    if (bodyLength < 0 || bodyLength > EnqueueRequest.MAX_BODY) {
      throw new IllegalArgumentException("body length out of range: " + bodyLength);
    }
    if (body != null && (body.length() != bodyLength || bodyLength > EnqueueInline.MAX_BODY)) {
      throw new IllegalArgumentException("an inline body must have the length announced and at most "
          + EnqueueInline.MAX_BODY + " octets");
    }
  }

  /** An offer whose body follows in chunks. */
  public ReplicaOffer(String queueId, String owner, Envelope envelope, ClientInfo client, Instant arrival,
      long bodyLength) {
    this(queueId, owner, envelope, client, arrival, bodyLength, null);
  }

  /** The address of the queue node {@code node}. */
  public static String address(String node) {
    return ADDRESS_PREFIX + ReplicaIds.checkNode(node);
  }

  /** Where the owner sends a replica's body, in chunks, to the queue node {@code node}. */
  public static String bodyAddress(String node) {
    return "postern.queue.replica-body.v1." + ReplicaIds.checkNode(node);
  }

  public JsonObject toJson() {
    JsonObject o = new EnqueueRequest(queueId, envelope, client, Buffer.buffer()).toJson();
    o.remove("body");
    o.put("owner", owner).put("arrival", arrival.toString()).put("bodyLength", bodyLength);
    return body == null ? o : o.put("body", Json.octets(body));
  }

  public static ReplicaOffer fromJson(JsonObject o) {
    EnqueueRequest r = EnqueueRequest.fromJson(o.copy().put("body", ""));
    if (!(o.getValue("bodyLength") instanceof Number length)) {
      throw new IllegalArgumentException("field 'bodyLength' must be a number");
    }
    Instant arrival;
    try {
      arrival = Instant.parse(Json.string(o, "arrival"));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("field 'arrival' is not an instant");
    }
    Buffer body = o.containsKey("body") ? Json.octets(o, "body") : null;
    return new ReplicaOffer(r.queueId(), Json.string(o, "owner"), r.envelope(), r.client(), arrival,
        length.longValue(), body);
  }

  public static final JsonCodec<ReplicaOffer> CODEC =
      new JsonCodec<>("postern.queue.replica-offer.v1", ReplicaOffer.class, ReplicaOffer::toJson, ReplicaOffer::fromJson);
}
