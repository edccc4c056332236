package org.postern.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.postern.smtp.Path;
import org.postern.smtp.Reply;
import org.postern.smtp.TlsFacts;

/**
 * Outbound's answer to a {@link DeliveryRequest}: one result per recipient, and the TLS of the
 * session that decided them ({@code tls}: null in plaintext or when no session was reached), which
 * the queue keeps in the message's attempt history for the operator.
 */
public record DeliveryReport(String queueId, List<RecipientResult> results, TlsFacts tls) {

  /** A report without a TLS session. */
  public DeliveryReport(String queueId, List<RecipientResult> results) {
    this(queueId, results, null);
  }

  /** What happened to one recipient. */
  public enum Status {
    /** The next hop accepted it (2xx). */
    SENT,
    /** Try again later (4xx, or any failure that is not certainly permanent). */
    DEFERRED,
    /** Give up and tell the sender (5xx). */
    BOUNCED
  }

  /**
   * @param reply the reply that decided, remote or our own (e.g. a DNS failure), never null
   * @param relay the next hop as {@code host[ip]:port}, or "none" when none was reached
   * @param dsnPassedOn the next hop supports DSN and received the recipient's DSN parameters, so
   *     it, not we, reports success or later failure (RFC 3461 §4.1)
   */
  public record RecipientResult(Path recipient, Status status, Reply reply, String relay, boolean dsnPassedOn) {
    public RecipientResult(Path recipient, Status status, Reply reply, String relay) {
      this(recipient, status, reply, relay, false);
    }

    public RecipientResult {
      if (recipient == null || status == null || reply == null || relay == null) {
        throw new IllegalArgumentException("recipient, status, reply and relay are required");
      }
      if ((status == Status.SENT) != reply.isPositive()) {
        throw new IllegalArgumentException("status " + status + " disagrees with reply " + reply.code());
      }
    }
  }

  public DeliveryReport {
    QueueIds.check(queueId);
    if (results == null || results.isEmpty()) {
      throw new IllegalArgumentException("a report needs results");
    }
    results = List.copyOf(results);
  }

  public JsonObject toJson() {
    JsonArray a = new JsonArray();
    for (RecipientResult r : results) {
      a.add(new JsonObject().put("recipient", Json.path(r.recipient())).put("status", r.status().name())
          .put("reply", Json.reply(r.reply())).put("relay", r.relay()).put("dsnPassedOn", r.dsnPassedOn()));
    }
    JsonObject o = new JsonObject().put("queueId", queueId).put("results", a);
    return tls == null ? o : o.put("tls", Json.tls(tls));
  }

  public static DeliveryReport fromJson(JsonObject o) {
    List<RecipientResult> results = new ArrayList<>();
    for (Object v : Json.array(o, "results")) {
      if (!(v instanceof JsonObject r)) {
        throw new IllegalArgumentException("results must hold objects");
      }
      results.add(new RecipientResult(Json.path(r, "recipient"), Json.enumValue(r, "status", Status.class),
          Json.reply(r, "reply"), Json.string(r, "relay"), Boolean.TRUE.equals(r.getBoolean("dsnPassedOn"))));
    }
    return new DeliveryReport(Json.string(o, "queueId"), results, Json.tls(o, "tls"));
  }

  public static final JsonCodec<DeliveryReport> CODEC =
      new JsonCodec<>("postern.outbound.delivery-report.v1", DeliveryReport.class, DeliveryReport::toJson,
          DeliveryReport::fromJson);
}
