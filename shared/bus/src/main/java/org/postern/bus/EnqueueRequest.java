package org.postern.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import org.postern.smtp.Envelope;

/**
 * Inbound hands a message to the queue. The queue answers with an {@link EnqueueReceipt} only once
 * the message and envelope are on stable storage; inbound sends 250 only then. Idempotent on
 * {@code queueId}: a retried request for a message already stored is acknowledged again, not
 * stored twice.
 *
 * <p>Sent to the queue of the sender's own node only ({@link Contracts#requestLocal}), so the body
 * is handed over by reference and never crosses the network in one message; inbound on a node
 * without a queue uses {@link EnqueueOffer}, {@link BodyTransfer} and {@link EnqueueCommit} instead
 * (see {@link QueueHandoff}).
 *
 * @param body the message as received, Received header included, CRLF line ends
 */
public record EnqueueRequest(String queueId, Envelope envelope, ClientInfo client, Buffer body) {

  public static final String ADDRESS = "postern.queue.enqueue.v1";

  /** Far above any sane SIZE limit; stops a corrupt or hostile message from exhausting memory. */
  public static final int MAX_BODY = 256 * 1024 * 1024;

  public EnqueueRequest {
    QueueIds.check(queueId);
    if (envelope == null || client == null || body == null) {
      throw new IllegalArgumentException("envelope, client and body are required");
    }
    if (body.length() > MAX_BODY) {
      throw new IllegalArgumentException("body too large: " + body.length());
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("queueId", queueId)
        .put("sender", Json.path(envelope.sender()))
        .put("recipients", Json.paths(envelope.recipients()))
        .put("rcptParams", Json.paramList(envelope.rcptParams()))
        .put("mailParams", Json.params(envelope.mailParams()))
        .put("client", client.toJson())
        .put("body", Json.octets(body));
  }

  public static EnqueueRequest fromJson(JsonObject o) {
    Envelope env = new Envelope(Json.path(o, "sender"), Json.paths(o, "recipients"), Json.paramList(o, "rcptParams"),
        Json.params(o, "mailParams"));
    return new EnqueueRequest(Json.string(o, "queueId"), env, ClientInfo.fromJson(Json.object(o, "client")),
        Json.octets(o, "body"));
  }

  public static final JsonCodec<EnqueueRequest> CODEC =
      new JsonCodec<>(ADDRESS, EnqueueRequest.class, EnqueueRequest::toJson, EnqueueRequest::fromJson);
}
