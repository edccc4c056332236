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
 * inbound) only after that, and after one more step: a replica stays <em>pending</em>, never
 * taken over, until the owner, once its own copy is durable too, sends {@link ReplicaIds} of kind
 * {@code COMMIT} and the holder confirms it. A pending replica whose owner member has left the
 * cluster (died, or restarted under a new member id) was never acknowledged and is dropped.
 *
 * @param owner the stable node id of the owner (see {@link ReplicaIds#checkNode})
 * @param ownerMember the owner's cluster member id at the offer: that run of the owner, which
 *     alone can commit the replica
 * @param bodyLength the body's length, which the transfer must match
 * @param body the body itself when it is small enough to come inline, else null
 */
public record ReplicaOffer(String queueId, String owner, String ownerMember, Envelope envelope, ClientInfo client,
    Instant arrival, long bodyLength, Buffer body) {

  /**
   * Each queue node consumes offers and {@link ReplicaIds} requests at this prefix plus its node id.
   * v2: offers name the owner's member id, and replicas wait for {@code COMMIT}; a v1 node does
   * neither, so the two do not exchange replicas.
   */
  public static final String ADDRESS_PREFIX = "postern.queue.replica.v2.";

  /** Hazelcast's member ids are UUIDs; anything else of this shape is accepted, nothing longer. */
  private static final java.util.regex.Pattern MEMBER = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9-]{0,63}");

  public ReplicaOffer {
    QueueIds.check(queueId);
    ReplicaIds.checkNode(owner);
    if (ownerMember == null || !MEMBER.matcher(ownerMember).matches()) {
      throw new IllegalArgumentException("malformed member id: " + ownerMember);
    }
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
  public ReplicaOffer(String queueId, String owner, String ownerMember, Envelope envelope, ClientInfo client,
      Instant arrival, long bodyLength) {
    this(queueId, owner, ownerMember, envelope, client, arrival, bodyLength, null);
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
    o.put("owner", owner).put("ownerMember", ownerMember).put("arrival", arrival.toString()).put("bodyLength", bodyLength);
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
    return new ReplicaOffer(r.queueId(), Json.string(o, "owner"), Json.string(o, "ownerMember"), r.envelope(), r.client(), arrival,
        length.longValue(), body);
  }

  public static final JsonCodec<ReplicaOffer> CODEC =
      new JsonCodec<>("postern.queue.replica-offer.v2", ReplicaOffer.class, ReplicaOffer::toJson, ReplicaOffer::fromJson);
}
