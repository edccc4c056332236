package org.postern.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.postern.smtp.Path;

/**
 * The queue asks outbound to deliver a message to some of its recipients (those not yet delivered
 * or bounced), all in the same domain. Outbound answers with a {@link DeliveryReport}. Sent to the
 * outbound of the queue's own node only ({@link Contracts#requestLocal}): the body is handed over
 * by reference, never across the network (a clustered queue node runs outbound too), as a
 * {@link MessageBody} that outbound reads piece by piece from the queue's spool. {@code arrivalMillis}
 * is when the queue took the message (epoch milliseconds, 0 when unknown): the delivery log's
 * {@code delay=} counts from it, as Postfix's does, not from the current attempt.
 */
public record DeliveryRequest(
    String queueId,
    Path sender,
    List<Path> recipients,
    List<Map<String, String>> rcptParams,
    Map<String, String> mailParams,
    MessageBody body,
    int attempt,
    long arrivalMillis) {

  public static final String ADDRESS = "postern.outbound.deliver.v1";

  public DeliveryRequest {
    QueueIds.check(queueId);
    if (sender == null || recipients == null || recipients.isEmpty() || body == null || attempt < 1
        || arrivalMillis < 0) {
      throw new IllegalArgumentException("sender, recipients, body and a positive attempt are required");
    }
    String domain = recipients.get(0).domainKey();
    for (Path r : recipients) {
      if (r.isNull() || !r.domainKey().equals(domain)) {
        throw new IllegalArgumentException("all recipients of one delivery share a domain");
      }
    }
    if (body.length() > EnqueueRequest.MAX_BODY) {
      throw new IllegalArgumentException("body too large: " + body.length());
    }
    recipients = List.copyOf(recipients);
    if (rcptParams == null) {
      rcptParams = recipients.stream().map(r -> Map.<String, String>of()).toList();
    }
    if (rcptParams.size() != recipients.size()) {
      throw new IllegalArgumentException("one parameter map per recipient");
    }
    rcptParams = rcptParams.stream().map(Map::copyOf).toList();
    mailParams = Map.copyOf(mailParams);
  }

  /** A request whose arrival is not known: its delay counts from when outbound takes it. */
  public DeliveryRequest(String queueId, Path sender, List<Path> recipients, List<Map<String, String>> rcptParams,
      Map<String, String> mailParams, MessageBody body, int attempt) {
    this(queueId, sender, recipients, rcptParams, mailParams, body, attempt, 0);
  }

  /** A request whose recipients carry no DSN parameters. */
  public DeliveryRequest(String queueId, Path sender, List<Path> recipients, Map<String, String> mailParams,
      MessageBody body, int attempt) {
    this(queueId, sender, recipients, null, mailParams, body, attempt, 0);
  }

  public String domain() {
    return recipients.get(0).domainKey();
  }

  /**
   * Only a body held in memory can be written out: a spool-backed one stays on its node, and
   * requests are sent to the local outbound only.
   */
  public JsonObject toJson() {
    Buffer whole = body.inMemory();
    if (whole == null) {
      throw new IllegalStateException("a spool-backed body is delivered on its own node, never sent over the network");
    }
    return new JsonObject().put("queueId", queueId).put("sender", Json.path(sender))
        .put("recipients", Json.paths(recipients)).put("rcptParams", Json.paramList(rcptParams))
        .put("mailParams", Json.params(mailParams))
        .put("body", Json.octets(whole)).put("attempt", attempt).put("arrival", arrivalMillis);
  }

  public static DeliveryRequest fromJson(JsonObject o) {
    return new DeliveryRequest(Json.string(o, "queueId"), Json.path(o, "sender"), Json.paths(o, "recipients"),
        Json.paramList(o, "rcptParams"), Json.params(o, "mailParams"),
        MessageBody.of(Json.octets(o, "body")),
        (int) Json.number(o, "attempt"), o.getLong("arrival", 0L));
  }

  public static final JsonCodec<DeliveryRequest> CODEC =
      new JsonCodec<>(ADDRESS, DeliveryRequest.class, DeliveryRequest::toJson, DeliveryRequest::fromJson);
}
